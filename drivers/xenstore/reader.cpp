#include "drivers/xenstore/reader.h"

namespace torpor::xs {

ReadPass RingReader::consume(const volatile char* ring, uint32_t prod, uint32_t cons,
                             unsigned max_messages, ReplySink& sink) {
    ReadPass pass;
    pass.new_cons = cons;
    uint32_t available = prod - cons;  // free-running indices: wraps correctly
    if (available > kRingSize) {
        // The peer claims more than the ring holds: nothing in it can be located.
        // Take prod as the new start and forget any half-assembled message.
        assembler_.reset();
        pass.status = ReadPass::Status::bad_indices;
        pass.new_cons = prod;
        return pass;
    }
    // One copy: xenstored may keep writing the shared page while we parse.
    for (uint32_t i = 0; i < available; ++i) chunk_[i] = ring[(cons + i) & (kRingSize - 1)];
    if (max_messages == 0) max_messages = 1;
    uint32_t offset = 0;
    while (offset < available) {
        auto used = assembler_.feed(chunk_ + offset, available - offset);
        if (used.is_error()) {
            // No reply has this header. The stream has no frame markers, so the
            // bytes after it cannot be trusted either: drop all we were given.
            pass.header_error = used.error();
            pass.status = ReadPass::Status::bad_header;
            assembler_.reset();
            offset = available;
            break;
        }
        offset += uint32_t(used.value());
        if (!assembler_.is_complete()) continue;
        dispatch(sink);
        assembler_.reset();
        if (++pass.messages >= max_messages && offset < available) {
            pass.status = ReadPass::Status::budget_spent;
            break;
        }
    }
    pass.bytes = offset;
    pass.new_cons = cons + offset;
    return pass;
}

void RingReader::dispatch(ReplySink& sink) {
    const Header& header = assembler_.header();
    const char* payload = assembler_.payload();
    Error shape = validate_reply(header, payload);
    if (header.type == uint32_t(MessageType::watch_event)) {
        auto event = parse_watch_event(header, payload);
        if (shape != Error::none || event.is_error())
            sink.on_malformed_event(header);
        else
            sink.on_watch_event(event.value());
        return;
    }
    if (shape != Error::none)
        sink.on_malformed_reply(header);
    else
        sink.on_reply(header, payload);
}

}  // namespace torpor::xs
