// libFuzzer target: the xenstore client's reply path above the wire codec.
// A fake xenstored and the fuzz input share a response ring with a RingReader
// (drivers/xenstore/reader.h) that dispatches into what the client keeps: the
// PendingRequests table and the bounded WatchEventQueue. The input is a
// program: well-formed replies (to pending, completed, withdrawn or unknown
// ids, duplicates), watch events, malformed payloads, raw garbage bytes,
// impossible ring indices, passes with small message budgets, requesters
// giving up, the watch thread taking events.
//
// Invariants: a pass never claims more than the ring holds, resynchronises
// exactly when the indices are impossible or a header is, and keeps its
// budget; a request completes at most once and its payload never changes after
// (duplicates and late replies find nobody); the watch queue stays bounded and
// never holds two events for one watch and path; and while the input has sent
// nothing but well-formed messages, the messages dispatched are exactly those
// sent, in order, whatever the pass budgets and ring wraps were.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "drivers/xenstore/pending_requests.h"
#include "drivers/xenstore/reader.h"
#include "drivers/xenstore/watch_queue.h"

using torpor::Error;
using torpor::String;
using namespace torpor::xs;

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

namespace {

class Input {
public:
    Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
    bool empty() const { return pos_ >= size_; }
    uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
    uint32_t u32() {
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v |= uint32_t(byte()) << (8 * i);
        return v;
    }
    std::string bytes(size_t n) {
        std::string s;
        while (n-- > 0 && !empty()) s.push_back(char(byte()));
        return s;
    }

private:
    const uint8_t* data_;
    size_t size_;
    size_t pos_ = 0;
};

std::string encode(uint32_t type, uint32_t req_id, const std::string& payload) {
    std::string m(16, '\0');
    uint32_t h[4] = {type, req_id, 0, uint32_t(payload.size())};
    memcpy(m.data(), h, 16);
    return m + payload;
}

const char* const kPaths[] = {"data/load", "data/ping", "control/shutdown", "d/x"};

struct Model final : ReplySink {
    // Requests the "client" has in flight; their records outlive completion.
    std::vector<std::unique_ptr<PendingRequest>> requests;
    PendingRequests table;
    std::map<uint32_t, std::string> first_payload;  // id -> payload at completion
    std::set<uint32_t> withdrawn;                    // their requesters gave up
    uint32_t next_id = 1;
    WatchEventQueue events;
    std::vector<std::string> dispatched;  // in order, for the clean-stream check

    void on_reply(const Header& h, const char* payload) override {
        dispatched.push_back(encode(h.type, h.req_id, std::string(payload, h.len)));
        Error e = h.type == uint32_t(MessageType::error) ? error_from_reply(payload, h.len)
                                                         : Error::none;
        String copy;
        if (e == Error::none) copy = String::copy_of(payload, h.len).release_value();
        PendingRequest* r = table.complete(h.req_id, h.type, e, static_cast<String&&>(copy));
        if (!r) return;  // late, duplicate or unknown: dropped
        CHECK(r->complete && r->id == h.req_id);
        CHECK(first_payload.count(r->id) == 0);  // completes once
        first_payload[r->id] = std::string(r->payload.c_str(), r->payload.length());
    }
    void on_watch_event(const WatchEvent& e) override {
        dispatched.push_back("event " + std::string(e.path) + " " + e.token);
        CHECK(*e.path != '\0');
        size_t before = events.size();
        auto result = events.push(uint32_t(strlen(e.token)), String::copy_of(e.path).release_value());
        CHECK(events.size() <= WatchEventQueue::kCapacity);
        CHECK(events.size() == before + (result == WatchEventQueue::Push::queued ? 1 : 0));
    }
    void on_malformed_reply(const Header& h) override {
        dispatched.push_back("malformed " + std::to_string(h.req_id));
        CHECK(h.type != uint32_t(MessageType::watch_event));
        if (PendingRequest* r = table.complete(h.req_id, uint32_t(MessageType::error),
                                               Error::protocol_error, String())) {
            CHECK(first_payload.count(r->id) == 0);
            first_payload[r->id] = "";
        }
    }
    void on_malformed_event(const Header& h) override {
        dispatched.push_back("malformed event");
        CHECK(h.type == uint32_t(MessageType::watch_event));
    }

    void check_completed_never_change() const {
        for (const auto& r : requests) {
            auto it = first_payload.find(r->id);
            if (it == first_payload.end()) continue;
            CHECK(r->complete);
            CHECK(std::string(r->payload.c_str(), r->payload.length()) == it->second);
        }
    }
    void check_queue_has_no_twins() {
        // Drain into a list and put back: no (watch, path) twice.
        std::vector<std::pair<uint32_t, std::string>> all;
        uint32_t id;
        String path;
        while (events.pop(&id, &path)) all.emplace_back(id, path.c_str());
        for (size_t i = 0; i < all.size(); ++i)
            for (size_t j = i + 1; j < all.size(); ++j) CHECK(all[i] != all[j]);
        for (auto& [i, p] : all)
            CHECK(events.push(i, String::copy_of(p.c_str()).release_value()) ==
                  WatchEventQueue::Push::queued);
    }
};

struct Fixture {
    char rsp[kRingSize] = {};
    uint32_t prod = 0;
    uint32_t cons = 0;
    std::deque<char> outbox;         // xenstored's bytes not yet in the ring
    std::vector<std::string> sent;   // well-formed messages, in order
    bool clean = true;               // nothing but well-formed messages so far
    RingReader reader;
    Model model;

    void flush() {
        while (!outbox.empty() && prod - cons < kRingSize) {
            rsp[prod++ & (kRingSize - 1)] = outbox.front();
            outbox.pop_front();
        }
    }
    void send(const std::string& message, const std::string& as_dispatched) {
        outbox.insert(outbox.end(), message.begin(), message.end());
        sent.push_back(as_dispatched);
        flush();
    }
    void pass(unsigned budget) {
        uint32_t before_cons = cons;
        uint32_t available = prod - cons;
        size_t dispatched_before = model.dispatched.size();
        ReadPass p = reader.consume(rsp, prod, cons, budget, model);
        CHECK(p.messages == model.dispatched.size() - dispatched_before);
        CHECK(p.messages <= (budget ? budget : 1));
        if (available > kRingSize) {
            CHECK(p.status == ReadPass::Status::bad_indices);
            CHECK(p.new_cons == prod && p.messages == 0);
            CHECK(!reader.is_mid_message());
        } else {
            CHECK(p.status != ReadPass::Status::bad_indices);
            CHECK(p.bytes <= available && p.new_cons == before_cons + p.bytes);
            if (p.status == ReadPass::Status::bad_header) {
                CHECK(p.new_cons == prod && !reader.is_mid_message());
                CHECK(p.header_error == Error::too_big || p.header_error == Error::protocol_error);
            }
            if (p.status == ReadPass::Status::drained) CHECK(p.new_cons == prod);
            if (p.status == ReadPass::Status::budget_spent) CHECK(p.new_cons != prod);
        }
        if (p.resynchronised()) {
            CHECK(!clean);  // a clean stream never needs one
            // Resynchronised at prod: what xenstored had not written yet starts
            // a new message only if it was one; drop the rest of ours too.
            outbox.clear();
        }
        cons = p.new_cons;
        flush();
    }
};

void run(Input& in) {
    auto f = std::make_unique<Fixture>();
    Model& m = f->model;
    while (!in.empty()) {
        switch (in.byte() % 12) {
            case 0: {  // a new request goes out
                auto r = std::make_unique<PendingRequest>();
                r->id = m.next_id++;
                m.table.add(r.get());
                m.requests.push_back(std::move(r));
                break;
            }
            case 1:
            case 2: {  // a well-formed reply to some id (pending, done, withdrawn or unknown)
                uint32_t id = in.byte() % (m.next_id + 2);
                std::string value = in.bytes(in.byte() % 48);
                std::string msg = encode(uint32_t(MessageType::read), id, value);
                f->send(msg, msg);
                break;
            }
            case 3: {  // an error reply
                uint32_t id = in.byte() % (m.next_id + 2);
                std::string msg = encode(uint32_t(MessageType::error), id, std::string("ENOENT") + '\0');
                f->send(msg, msg);
                break;
            }
            case 4: {  // a watch event; the token's length stands for the watch id
                const char* path = kPaths[in.byte() % 4];
                std::string token(1 + in.byte() % 3, 't');
                f->send(encode(uint32_t(MessageType::watch_event), 0,
                               std::string(path) + '\0' + token + '\0'),
                        "event " + std::string(path) + " " + token);
                break;
            }
            case 5: {  // a malformed reply: shape wrong for its type
                uint32_t id = in.byte() % (m.next_id + 2);
                f->send(encode(uint32_t(MessageType::write), id, "KO"), "malformed " + std::to_string(id));
                break;
            }
            case 6: {  // raw bytes straight into the stream
                std::string raw = in.bytes(in.byte() % 64);
                f->outbox.insert(f->outbox.end(), raw.begin(), raw.end());
                f->clean = f->clean && raw.empty();
                f->flush();
                break;
            }
            case 7:  // impossible (or merely odd) indices
                f->prod = f->cons + in.u32();
                f->clean = false;
                break;
            case 8:
            case 9:  // a reader pass with a small budget
                f->pass(in.byte() % 6);
                m.check_completed_never_change();
                break;
            case 10: {  // a requester gives up
                if (m.requests.empty()) break;
                PendingRequest* r = m.requests[in.byte() % m.requests.size()].get();
                bool was_waiting = m.table.withdraw(r);
                CHECK(was_waiting == (!r->complete && m.withdrawn.count(r->id) == 0));
                m.withdrawn.insert(r->id);
                break;
            }
            case 11: {  // the watch thread takes an event
                uint32_t id;
                String path;
                size_t before = m.events.size();
                bool got = m.events.pop(&id, &path);
                CHECK(got == (before > 0));
                break;
            }
        }
        CHECK(f->prod - f->cons <= kRingSize || !f->clean);
    }
    // Drain what is left (a few passes: a budget of 0 still takes one message).
    for (int i = 0; i < 4096 && (f->prod != f->cons || !f->outbox.empty()); ++i) f->pass(32);
    m.check_completed_never_change();
    m.check_queue_has_no_twins();
    if (f->clean) {
        CHECK(f->outbox.empty());
        CHECK(!f->reader.is_mid_message());
        CHECK(m.dispatched == f->sent);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Input in(data, size);
    run(in);
    return 0;
}
