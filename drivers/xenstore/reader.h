// The reply side of the xenstore ring as plain logic: one pass over a snapshot
// of the response ring (xen/io/xs_wire.h: rsp[], rsp_cons, rsp_prod) copies the
// bytes out once, reassembles messages, checks their shape and hands them to a
// ReplySink. Nothing from xenstored is trusted: impossible indices or a header
// that cannot be a reply make the pass drop everything up to the snapshot's
// prod and start reassembling afresh (resynchronise). The client publishes the
// returned cons, sleeps or yields; this class never touches the ring's indices
// itself, so the host tests and the fuzzer drive it against a fake ring.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "drivers/xenstore/wire.h"

namespace torpor::xs {

inline constexpr uint32_t kRingSize = 1024;  // XENSTORE_RING_SIZE

// Where complete messages go. Called from RingReader::consume, one at a time.
class ReplySink {
public:
    // A reply whose payload has the shape its type promises (validate_reply).
    virtual void on_reply(const Header& header, const char* payload) = 0;
    // A well-formed XS_WATCH_EVENT: both strings point into the payload.
    virtual void on_watch_event(const WatchEvent& event) = 0;
    // A reply (never a watch event) whose payload was malformed: whoever waits
    // for `header.req_id` should fail rather than time out.
    virtual void on_malformed_reply(const Header& header) = 0;
    // A watch event whose payload was malformed: nobody to tell; counted.
    virtual void on_malformed_event(const Header& header) = 0;

protected:
    ~ReplySink() = default;
};

struct ReadPass {
    enum class Status : uint8_t {
        drained,       // everything up to prod was consumed (possibly nothing)
        budget_spent,  // stopped after max_messages: more is waiting
        bad_indices,   // prod - cons claimed more than the ring holds: resynchronised
        bad_header,    // a header no reply can have: resynchronised
    };
    Status status = Status::drained;
    uint32_t new_cons = 0;  // what to publish as rsp_cons
    uint32_t bytes = 0;     // consumed: new_cons - cons (bytes a bad header dropped included; 0 for bad_indices)
    unsigned messages = 0;  // complete messages handed to the sink
    Error header_error = Error::none;  // why a header was rejected (bad_header)

    bool resynchronised() const {
        return status == Status::bad_indices || status == Status::bad_header;
    }
};

class RingReader {
public:
    // One pass over `ring` (kRingSize bytes shared with xenstored) between
    // `cons` and `prod`, read by the caller (prod before a read barrier). Stops
    // after `max_messages` complete messages (at least 1 is taken as 1).
    ReadPass consume(const volatile char* ring, uint32_t prod, uint32_t cons,
                     unsigned max_messages, ReplySink& sink);

    // Forgets a half-assembled message (a resume in a new domain).
    void reset() { assembler_.reset(); }
    // Whether a message is partly assembled (bytes of it are consumed).
    bool is_mid_message() const { return assembler_.is_started(); }

private:
    void dispatch(ReplySink& sink);

    ReplyAssembler assembler_;
    char chunk_[kRingSize];
};

}  // namespace torpor::xs
