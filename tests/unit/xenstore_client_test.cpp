// The xenstore client (drivers/xenstore/client.cpp) for real on the host: its
// reader and watch threads run on the cooperative scheduler (ucontext, a fake
// clock that jumps to the next timer when every thread is blocked) against a
// fake xenstored thread that serves the shared ring. Event channels, the clock
// and klog are the only fakes. Covers the suspend quiesce (in-flight replies,
// transactions, the gate), resume, and what a misbehaving xenstored can do.
#include "drivers/xenstore/client.h"

#include <gtest/gtest.h>
#include <stdarg.h>
#include <ucontext.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/assert.h"
#include "drivers/xenstore/wire.h"
#include "kernel/events/event_channels.h"
#include "base/log.h"
#include "kernel/sched/scheduler.h"
#include "kernel/time/clock.h"

using namespace torpor;
using namespace torpor::sched;

namespace {

constexpr uint64_t kMs = 1'000'000ull;

// --- the host platform: scheduler hooks, clock, log, event channels -------

uint64_t fake_now = 0;
TimerQueue timers;
Scheduler scheduler;
bool masked = false;
std::vector<std::string> log_lines;

void switch_context(Thread* from, Thread* to) {
    swapcontext(static_cast<ucontext_t*>(from->platform), static_cast<ucontext_t*>(to->platform));
}
void start_thread(unsigned hi, unsigned lo) {
    thread_main(reinterpret_cast<Thread*>((uintptr_t(hi) << 32) | lo));
}
Error prepare_thread(Thread* t) {
    t->stack = malloc(t->stack_size);  // the hook owns the stack (kernel/sched/scheduler.h)
    if (!t->stack) return Error::out_of_memory;
    auto* uc = new ucontext_t;
    getcontext(uc);
    uc->uc_stack.ss_sp = t->stack;
    uc->uc_stack.ss_size = t->stack_size;
    uc->uc_link = nullptr;
    auto p = reinterpret_cast<uintptr_t>(t);
    makecontext(uc, reinterpret_cast<void (*)()>(start_thread), 2, unsigned(p >> 32),
                unsigned(p & 0xffffffff));
    t->platform = uc;
    return Error::none;
}
void release_thread(Thread* t) {
    delete static_cast<ucontext_t*>(t->platform);
    free(t->stack);
}
void idle() {
    if (timers.is_empty()) {
        fprintf(stderr, "deadlock: nothing runnable and no timer pending\n");
        abort();
    }
    fake_now = timers.earliest_deadline();
    timers.run_expired(fake_now);
}
void arm_timer(Timer* t, uint64_t deadline) { timers.add(t, deadline); }
void cancel_timer(Timer* t) { timers.remove(t); }
bool mask_events() {
    bool was = masked;
    masked = true;
    return was;
}
void restore_events(bool was) { masked = was; }
const Hooks hooks = {switch_context, prepare_thread, release_thread, idle, arm_timer,
                     cancel_timer,   nullptr,        mask_events,    restore_events};

events::Handler store_handler = nullptr;
bool fail_adopt = false;
uint32_t generation = 0;
uint64_t notifies = 0;
void (*on_notify)() = nullptr;  // a test's misbehaving xenstored reacts at once
WaitQueue daemon_wake;

bool log_has(const char* needle) {
    for (const std::string& l : log_lines)
        if (l.find(needle) != std::string::npos) return true;
    return false;
}
size_t log_count(const char* needle) {
    size_t n = 0;
    for (const std::string& l : log_lines) n += l.find(needle) != std::string::npos;
    return n;
}

}  // namespace

Scheduler& torpor::sched::this_scheduler() { return scheduler; }
uint64_t torpor::clock::monotonic_ns() { return fake_now; }

void torpor::vklog(const char* format, va_list args) {
    char line[512];
    vsnprintf(line, sizeof(line), format, args);
    log_lines.emplace_back(line);
}
void torpor::klog(const char* format, ...) {
    va_list args;
    va_start(args, format);
    vklog(format, args);
    va_end(args);
}
// A failed VERIFY (base/assert.h; the kernel panics): report and stop the test binary.
void torpor::verify_failed(const char* kind, const char* condition, const char* file, int line,
                           const char* function) {
    fprintf(stderr, "%s(%s) failed at %s:%d in %s()\n", kind, condition, file, line, function);
    abort();
}

ErrorOr<EventHandle> torpor::events::adopt(uint32_t port, Handler handler, void*) {
    if (fail_adopt) return Error::hypercall_failed;
    store_handler = handler;
    return EventHandle{port, ++generation};
}
Error torpor::events::notify(EventHandle) {
    ++notifies;
    if (notifies > 200000) {
        fprintf(stderr, "the client notified 200000 times: its reader never sleeps or yields\n");
        abort();
    }
    if (on_notify) on_notify();
    daemon_wake.wake_all();
    return Error::none;
}

namespace {

// --- a fake xenstored ------------------------------------------------------

struct Received {
    uint32_t type;
    uint32_t req_id;
    uint32_t tx;
    std::string payload;
};

std::string encode(uint32_t type, uint32_t req_id, uint32_t tx, const std::string& payload) {
    std::string m(16, '\0');
    uint32_t h[4] = {type, req_id, tx, uint32_t(payload.size())};
    memcpy(m.data(), h, 16);
    return m + payload;
}

struct FakeXenstored {
    xenstore_domain_interface ring{};
    std::string inbox;  // request bytes not yet parsed
    std::deque<char> outbox;
    std::vector<Received> received;
    std::map<std::string, std::string> store;
    std::vector<std::pair<std::string, std::string>> watches;  // path, token
    uint32_t next_tx = 1;
    bool hold = false;                 // keep replies until release()
    std::vector<std::string> held;
    bool duplicate = false;            // send every reply twice, the copy with "DUP"
    bool stop = false;
    Thread* thread = nullptr;

    void send(const std::string& bytes) { outbox.insert(outbox.end(), bytes.begin(), bytes.end()); }
    void reply(const Received& r, uint32_t type, const std::string& payload) {
        std::string m = encode(type, r.req_id, r.tx, payload);
        if (hold)
            held.push_back(m);
        else
            send(m);
        if (duplicate) send(encode(type, r.req_id, r.tx, type == 2 ? "DUP" : payload));
    }
    void release() {
        hold = false;
        for (auto& m : held) send(m);
        held.clear();
        daemon_wake.wake_all();
    }
    void fire(const std::string& path) {
        for (auto& [wpath, token] : watches)
            if (path.compare(0, wpath.size(), wpath) == 0)
                send(encode(15, 0, 0, path + '\0' + token + '\0'));
    }
    static std::string first_string(const std::string& p) { return p.substr(0, p.find('\0')); }
    void handle(const Received& r) {
        static const std::string ok = std::string("OK") + '\0';
        std::string path = first_string(r.payload);
        switch (r.type) {
            case 2: {  // read
                auto it = store.find(path);
                if (it == store.end())
                    reply(r, 16, std::string("ENOENT") + '\0');
                else
                    reply(r, 2, it->second);
                break;
            }
            case 11: {  // write: path NUL value
                store[path] = r.payload.substr(path.size() + 1);
                reply(r, 11, ok);
                fire(path);
                break;
            }
            case 4: {  // watch: path NUL token NUL
                std::string token = first_string(r.payload.substr(path.size() + 1));
                watches.emplace_back(path, token);
                reply(r, 4, ok);
                send(encode(15, 0, 0, path + '\0' + token + '\0'));  // fires once at once
                break;
            }
            case 6:  // transaction_start
                reply(r, 6, std::to_string(next_tx++) + '\0');
                break;
            case 7:  // transaction_end
                reply(r, 7, ok);
                break;
            default:
                reply(r, r.type, ok);
        }
    }
    // Takes requests from the ring, answers them, puts replies into the ring.
    bool serve() {
        bool worked = false;
        while (ring.req_cons != ring.req_prod) {
            inbox.push_back(ring.req[ring.req_cons & (XENSTORE_RING_SIZE - 1)]);
            ++ring.req_cons;
            worked = true;
        }
        while (inbox.size() >= 16) {
            uint32_t h[4];
            memcpy(h, inbox.data(), 16);
            if (inbox.size() < 16 + h[3]) break;
            Received r{h[0], h[1], h[2], inbox.substr(16, h[3])};
            inbox.erase(0, 16 + h[3]);
            received.push_back(r);
            handle(r);
        }
        while (!outbox.empty() && ring.rsp_prod - ring.rsp_cons < XENSTORE_RING_SIZE) {
            ring.rsp[ring.rsp_prod & (XENSTORE_RING_SIZE - 1)] = outbox.front();
            outbox.pop_front();
            ++ring.rsp_prod;
            worked = true;
        }
        if (worked) signal();
        return worked;
    }
    void signal() {
        EventsMasked m(hooks);  // an upcall runs with events masked
        if (store_handler) store_handler(1, nullptr);
    }
    size_t count(uint32_t type) const {
        size_t n = 0;
        for (auto& r : received) n += r.type == type;
        return n;
    }
};

FakeXenstored* xsd = nullptr;

void xsd_main(void*) {
    while (!xsd->stop) {
        if (xsd->serve()) continue;
        (void)daemon_wake.wait(fake_now + 50 * kMs);
    }
}

// Runs the other threads for `ns` of fake time.
void run_for(uint64_t ns) { scheduler.sleep_until(fake_now + ns); }

// Runs the other threads until `done()` or `ns` of fake time passed.
template <typename Done>
bool run_until(Done done, uint64_t ns) {
    uint64_t until = fake_now + ns;
    while (!done() && fake_now < until) scheduler.sleep_until(fake_now + kMs);
    return done();
}

std::vector<Thread*> spawned;  // joined by TearDown unless a test joined it

template <typename Fn>
Thread* spawn(Fn* fn) {
    auto t = scheduler.spawn("test", [](void* arg) { (*static_cast<Fn*>(arg))(); }, fn);
    EXPECT_FALSE(t.is_error());
    if (t.is_error()) return nullptr;
    spawned.push_back(t.value());
    return t.value();
}

// Joins a test thread; one still blocked after a minute of fake time is a
// failure the test reports first: stop there instead of hanging.
void join(Thread* t) {
    for (auto it = spawned.begin(); it != spawned.end(); ++it) {
        if (*it == t) {
            spawned.erase(it);
            break;
        }
    }
    uint64_t until = fake_now + 60'000 * kMs;
    while (t->state != ThreadState::exited && fake_now < until)
        scheduler.sleep_until(fake_now + 100 * kMs);
    if (t->state != ThreadState::exited) {
        fprintf(stderr, "a test thread is still blocked after 60 s: giving up\n");
        abort();
    }
    EXPECT_EQ(scheduler.join(t), Error::none);
}

class XenstoreClient : public ::testing::Test {
protected:
    void SetUp() override {
        fake_now = 0;
        timers = TimerQueue();
        masked = false;
        log_lines.clear();
        store_handler = nullptr;
        fail_adopt = false;
        notifies = 0;
        on_notify = nullptr;
        boot_ = new Thread;
        boot_->platform = new ucontext_t;
        scheduler = Scheduler();
        scheduler.init(&hooks, boot_, 0);
        xsd = new FakeXenstored;
        xsd->store["k"] = "v";
        auto t = scheduler.spawn("xenstored", xsd_main, nullptr);
        ASSERT_FALSE(t.is_error());
        xsd->thread = t.value();
        ASSERT_EQ(xenstore::connect(&xsd->ring, 1), Error::none);
    }
    void TearDown() override {
        on_notify = nullptr;
        while (!spawned.empty()) join(spawned.back());
        xenstore::disconnect();
        xsd->stop = true;
        daemon_wake.wake_all();
        (void)scheduler.join(xsd->thread);
        delete xsd;
        xsd = nullptr;
        delete static_cast<ucontext_t*>(boot_->platform);
        delete boot_;
    }
    Thread* boot_ = nullptr;
};

struct ReadResult {
    bool done = false;
    Error error = Error::none;
    std::string value;
};

auto reader_of(const char* path, ReadResult* out) {
    return [path, out] {
        auto v = xenstore::read(path);
        out->error = v.is_error() ? v.error() : Error::none;
        if (!v.is_error()) out->value = v.value().c_str();
        out->done = true;
    };
}

}  // namespace

TEST_F(XenstoreClient, ReadsWritesAndWatches) {
    static int fired;
    fired = 0;
    ASSERT_EQ(xenstore::write("a", "1"), Error::none);
    auto v = xenstore::read("a");
    ASSERT_FALSE(v.is_error());
    EXPECT_STREQ(v.value().c_str(), "1");
    EXPECT_EQ(xenstore::read("missing").error(), Error::not_found);
    auto w = xenstore::watch("a", [](const char*, void*) { ++fired; }, nullptr);
    ASSERT_FALSE(w.is_error());
    EXPECT_TRUE(run_until([] { return fired == 1; }, 1000 * kMs)) << "fires once at once";
    ASSERT_EQ(xenstore::write("a", "2"), Error::none);
    EXPECT_TRUE(run_until([] { return fired == 2; }, 1000 * kMs));
}

// The reader must keep reading while the gate is closed: the old client parked
// it, so a reply in flight was never read and every such suspend gave up.
TEST_F(XenstoreClient, QuiesceWaitsForTheReplyToARequestInFlight) {
    static ReadResult result;
    result = ReadResult{};
    xsd->hold = true;
    static auto requester = reader_of("k", &result);
    spawn(&requester);
    ASSERT_TRUE(run_until([] { return xsd->received.size() == 1; }, 1000 * kMs));
    static auto releaser = [] {
        scheduler.sleep_until(fake_now + 50 * kMs);
        xsd->release();
    };
    spawn(&releaser);
    uint64_t start = fake_now;
    EXPECT_EQ(xenstore::suspend(), Error::none);
    EXPECT_TRUE(result.done) << "the in-flight request completed before the suspend went on";
    EXPECT_EQ(result.error, Error::none);
    EXPECT_EQ(result.value, "v");
    EXPECT_LT(fake_now - start, 1000 * kMs);
    EXPECT_TRUE(log_has("xenstore: quiesced in")) << "the quiesce reports its time";
    EXPECT_TRUE(log_has("at the freeze 1 requests in flight"));
    EXPECT_EQ(xenstore::resume(false, nullptr), Error::none);
}

TEST_F(XenstoreClient, NewRequestsWaitAtTheGateUntilResume) {
    ASSERT_EQ(xenstore::suspend(), Error::none);
    static ReadResult result;
    result = ReadResult{};
    static auto requester = reader_of("k", &result);
    spawn(&requester);
    size_t before = xsd->received.size();
    run_for(2000 * kMs);
    EXPECT_FALSE(result.done);
    EXPECT_EQ(xsd->received.size(), before) << "nothing reaches xenstored while suspending";
    ASSERT_EQ(xenstore::resume(false, nullptr), Error::none);
    EXPECT_TRUE(run_until([] { return result.done; }, 1000 * kMs));
    EXPECT_EQ(result.value, "v");
}

// An open transaction must end before the suspend (Linux waits for them too);
// its own requests pass the closed gate, a new transaction waits. The old
// client suspended with the transaction open and its body blocked.
TEST_F(XenstoreClient, AnOpenTransactionFinishesBeforeTheSuspend) {
    static bool started, finished, second_started;
    static Error end_result;
    started = finished = second_started = false;
    end_result = Error::try_again;
    static auto body = [] {
        auto tx = xenstore::transaction_start();
        ASSERT_FALSE(tx.is_error());
        started = true;
        scheduler.sleep_until(fake_now + 100 * kMs);  // the suspend starts meanwhile
        EXPECT_EQ(xenstore::write("tx-key", "1", tx.value()), Error::none);
        scheduler.sleep_until(fake_now + 100 * kMs);
        end_result = xenstore::transaction_end(tx.value(), true);
        finished = true;
    };
    spawn(&body);
    ASSERT_TRUE(run_until([] { return started; }, 1000 * kMs));
    static auto second = [] {
        auto tx = xenstore::transaction_start();
        second_started = !tx.is_error();
        if (!tx.is_error()) (void)xenstore::transaction_end(tx.value(), false);
    };
    spawn(&second);  // runs once suspend() blocks, with the gate closed
    EXPECT_EQ(xenstore::suspend(), Error::none);
    EXPECT_TRUE(finished) << "the transaction ended before the suspend went on";
    EXPECT_EQ(end_result, Error::none);
    EXPECT_EQ(xsd->store["tx-key"], "1");
    EXPECT_FALSE(second_started) << "a new transaction waits at the gate";
    EXPECT_TRUE(log_has("0 requests in flight and 1 transactions open"));
    ASSERT_EQ(xenstore::resume(false, nullptr), Error::none);
    EXPECT_TRUE(run_until([] { return second_started; }, 1000 * kMs));
}

TEST_F(XenstoreClient, AQuiesceThatCannotFinishGivesUpAndEverythingStillWorks) {
    static bool started, release;
    started = release = false;
    static auto stuck = [] {
        auto tx = xenstore::transaction_start();
        ASSERT_FALSE(tx.is_error());
        started = true;
        while (!release) scheduler.sleep_until(fake_now + 100 * kMs);
        (void)xenstore::transaction_end(tx.value(), false);
    };
    Thread* t = spawn(&stuck);
    ASSERT_TRUE(run_until([] { return started; }, 1000 * kMs));
    uint64_t start = fake_now;
    EXPECT_EQ(xenstore::suspend(), Error::busy);
    EXPECT_GE(fake_now - start, 10'000 * kMs);
    EXPECT_LT(fake_now - start, 11'000 * kMs);
    EXPECT_EQ(log_count("xenstore: quiesce gave up after"), 1u);
    EXPECT_TRUE(log_has("0 requests in flight, 1 transactions open"));
    EXPECT_EQ(xenstore::stats().quiesce_aborts, 1u);
    auto v = xenstore::read("k");  // the gate is open and the reader runs
    ASSERT_FALSE(v.is_error());
    EXPECT_STREQ(v.value().c_str(), "v");
    release = true;
    join(t);
}

TEST_F(XenstoreClient, AFailedResumeInANewDomainStillOpensTheGate) {
    ASSERT_EQ(xenstore::suspend(), Error::none);
    fail_adopt = true;
    start_info si{};
    si.store_evtchn = 9;
    EXPECT_EQ(xenstore::resume(true, &si), Error::hypercall_failed);
    EXPECT_TRUE(log_has("cannot bind the store event channel 9"));
    static ReadResult result;
    result = ReadResult{};
    static auto requester = reader_of("k", &result);
    spawn(&requester);
    EXPECT_TRUE(run_until([] { return result.done; }, 1000 * kMs))
        << "a request after a failed resume must not wait at a closed gate forever";
    EXPECT_EQ(result.value, "v");
}

TEST_F(XenstoreClient, ResumeInANewDomainDropsStaleRepliesAndWatchesAgain) {
    static int fired;
    fired = 0;
    auto w = xenstore::watch("data/ping", [](const char*, void*) { ++fired; }, nullptr);
    ASSERT_FALSE(w.is_error());
    ASSERT_TRUE(run_until([] { return fired == 1; }, 1000 * kMs));
    ASSERT_EQ(xenstore::suspend(), Error::none);
    // The old xenstored left half a reply behind.
    std::string stale = encode(2, 77, 0, "stale reply");
    for (size_t i = 0; i < 10; ++i)
        xsd->ring.rsp[xsd->ring.rsp_prod++ & (XENSTORE_RING_SIZE - 1)] = stale[i];
    xsd->watches.clear();  // the new xenstored knows no watches
    start_info si{};
    si.store_evtchn = 3;
    EXPECT_EQ(xenstore::resume(true, &si), Error::none);
    EXPECT_TRUE(log_has("10 bytes of the old xenstored's replies dropped"));
    EXPECT_EQ(xsd->count(4), 2u) << "the watch was registered again";
    EXPECT_TRUE(run_until([] { return fired == 2; }, 1000 * kMs)) << "and fired once more";
    auto v = xenstore::read("k");
    ASSERT_FALSE(v.is_error());
    EXPECT_STREQ(v.value().c_str(), "v");
}

// The old client left a completed request in the pending list until its
// requester ran again: a duplicate reply overwrote the payload it was about to read.
TEST_F(XenstoreClient, ADuplicateReplyIsDroppedAndNeverOverwrites) {
    xsd->duplicate = true;
    auto v = xenstore::read("k");
    ASSERT_FALSE(v.is_error());
    EXPECT_STREQ(v.value().c_str(), "v");
    run_for(10 * kMs);
    EXPECT_EQ(xenstore::stats().dropped_replies, 1u);
    EXPECT_TRUE(log_has("nobody waits for it"));
}

TEST_F(XenstoreClient, AReplyAfterTheRequesterGaveUpIsDropped) {
    xsd->hold = true;
    uint64_t start = fake_now;
    EXPECT_EQ(xenstore::read("k").error(), Error::timed_out);
    EXPECT_GE(fake_now - start, 10'000 * kMs);
    xsd->release();
    run_for(10 * kMs);
    EXPECT_EQ(xenstore::stats().dropped_replies, 1u);
    auto v = xenstore::read("k");
    ASSERT_FALSE(v.is_error());
    EXPECT_STREQ(v.value().c_str(), "v");
}

// A xenstored that refills the ring the moment the reader makes room: the old
// reader never gave the vCPU back (the fake notify aborts after 200000 rounds).
TEST_F(XenstoreClient, AFloodingXenstoredDoesNotStarveTheOtherThreads) {
    static int fired;
    fired = 0;
    auto w = xenstore::watch("data/load", [](const char*, void*) { ++fired; }, nullptr);
    ASSERT_FALSE(w.is_error());
    ASSERT_TRUE(run_until([] { return fired == 1; }, 1000 * kMs));
    static std::string event;
    event = encode(15, 0, 0, std::string("data/load") + '\0' + "tw1" + '\0');
    on_notify = [] {
        auto& r = xsd->ring;
        while (r.rsp_prod - r.rsp_cons + event.size() <= XENSTORE_RING_SIZE)
            for (char c : event) r.rsp[r.rsp_prod++ & (XENSTORE_RING_SIZE - 1)] = c;
    };
    on_notify();
    xsd->signal();
    static bool bystander_ran;
    bystander_ran = false;
    static auto bystander = [] { bystander_ran = true; };
    spawn(&bystander);
    // No sleeping here: time stands still while the reader has work.
    for (int i = 0; i < 1000 && !(bystander_ran && fired >= 2); ++i) scheduler.yield();
    on_notify = nullptr;
    EXPECT_TRUE(bystander_ran);
    EXPECT_GE(fired, 2) << "the watch thread ran too";
    xenstore::Stats s = xenstore::stats();
    EXPECT_GT(s.reader_yields, 0u);
    EXPECT_GT(s.coalesced_watch_events, 0u) << "one queued event stands for the flood";
    EXPECT_EQ(s.dropped_watch_events, 0u);
}

// Impossible indices, rewritten every time the reader resynchronises: the old
// reader spun on them forever.
TEST_F(XenstoreClient, ImpossibleIndicesAreLoggedOnceAndTheReaderBacksOff) {
    on_notify = [] { xsd->ring.rsp_prod = xsd->ring.rsp_cons + 5000; };
    on_notify();
    xsd->signal();
    uint64_t before = notifies;
    run_for(2000 * kMs);
    on_notify = nullptr;
    uint64_t passes = notifies - before;
    EXPECT_GE(passes, 5u);
    EXPECT_LE(passes, 40u) << "backing off up to 128 ms a time, not spinning";
    EXPECT_EQ(log_count("reply ring indices out of range"), 1u);
    EXPECT_GE(xenstore::stats().resyncs, passes);
    xsd->ring.rsp_prod = xsd->ring.rsp_cons;  // xenstored behaves again
    run_for(200 * kMs);
    auto v = xenstore::read("k");
    ASSERT_FALSE(v.is_error());
    EXPECT_STREQ(v.value().c_str(), "v");
}

TEST_F(XenstoreClient, WatchEventsBeyondTheBoundAreDroppedAndCounted) {
    static bool hold_callback, in_callback;
    hold_callback = in_callback = false;
    auto w = xenstore::watch(
        "d",
        [](const char*, void*) {
            in_callback = true;
            while (hold_callback) scheduler.sleep_until(fake_now + 10 * kMs);
            in_callback = false;
        },
        nullptr);
    ASSERT_FALSE(w.is_error());
    run_for(10 * kMs);
    hold_callback = true;
    xsd->send(encode(15, 0, 0, std::string("d/hold") + '\0' + "tw1" + '\0'));
    xsd->serve();
    ASSERT_TRUE(run_until([] { return in_callback; }, 1000 * kMs));
    for (int i = 0; i < 300; ++i)
        xsd->send(encode(15, 0, 0, "d/" + std::to_string(i) + '\0' + "tw1" + '\0'));
    xsd->serve();
    run_for(100 * kMs);
    xenstore::Stats s = xenstore::stats();
    EXPECT_EQ(s.dropped_watch_events, 300u - 256u);
    EXPECT_EQ(log_count("watch events already queued"), 1u) << "rate-limited";
    hold_callback = false;
    run_for(100 * kMs);
}

TEST_F(XenstoreClient, AMalformedReplyFailsItsRequestAtOnce) {
    xsd->hold = true;
    static ReadResult result;
    result = ReadResult{};
    static auto requester = [] {
        result.error = xenstore::write("a", "1");
        result.done = true;
    };
    spawn(&requester);
    ASSERT_TRUE(run_until([] { return xsd->received.size() == 1; }, 1000 * kMs));
    xsd->held.clear();
    xsd->hold = false;
    xsd->send(encode(11, xsd->received[0].req_id, 0, "KO"));  // must be "OK\0"
    xsd->serve();
    EXPECT_TRUE(run_until([] { return result.done; }, 100 * kMs));
    EXPECT_EQ(result.error, Error::protocol_error);
    EXPECT_EQ(xenstore::stats().rejected_replies, 1u);
}
