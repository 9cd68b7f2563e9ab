#include "tests/unit/host_vcpus.h"

#include <stdlib.h>
#include <ucontext.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include "kernel/time/timer_queue.h"

namespace torpor::test {

using sched::Scheduler;
using sched::Thread;

namespace {

thread_local Scheduler* current_scheduler = nullptr;
thread_local HostVcpus::Vcpu* current_vcpu = nullptr;
thread_local HostVcpus* current_host = nullptr;
thread_local bool events_masked = false;

// A thread's host context; the stack is ours only if the scheduler left it to
// the hook (newer schedulers do).
struct Context {
    ucontext_t uc;
    bool owns_stack = false;
};

}  // namespace

void set_this_scheduler(Scheduler* scheduler) { current_scheduler = scheduler; }

uint64_t host_now_ns() {
    return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count());
}

struct HostVcpus::Vcpu {
    unsigned id = 0;
    HostVcpus* host = nullptr;
    Scheduler scheduler;
    Thread boot;
    Context boot_context;
    TimerQueue timers;  // only its own OS thread touches it
    smp::CrossCallQueue calls;

    std::mutex m;
    std::condition_variable cv;
    bool kicked = false;
    bool frozen = false;
    std::deque<std::function<void()>> upcalls;
    std::vector<std::pair<Thread*, std::promise<void>>> to_join;
    std::atomic<unsigned> kick_delay_us{0};
    std::atomic<unsigned> upcall_jitter_us{0};
    std::atomic<bool> stop{false};
    std::atomic<bool> ready{false};  // its scheduler is initialised
    std::thread os;
    std::minstd_rand random{12345};

    void main();
    void idle();
};

namespace {

void switch_context(Thread* from, Thread* to) {
    swapcontext(&static_cast<Context*>(from->platform)->uc,
                &static_cast<Context*>(to->platform)->uc);
}

void start_thread(unsigned hi, unsigned lo) {
    sched::thread_main(reinterpret_cast<Thread*>((uintptr_t(hi) << 32) | lo));
}

Error prepare_thread(Thread* t) {
    auto* c = new Context;
    if (!t->stack) {
        t->stack = malloc(t->stack_size);
        c->owns_stack = true;
    }
    getcontext(&c->uc);
    c->uc.uc_stack.ss_sp = t->stack;
    c->uc.uc_stack.ss_size = t->stack_size;
    c->uc.uc_link = nullptr;
    auto p = reinterpret_cast<uintptr_t>(t);
    makecontext(&c->uc, reinterpret_cast<void (*)()>(start_thread), 2, unsigned(p >> 32),
                unsigned(p & 0xffffffff));
    t->platform = c;
    return Error::none;
}

void release_thread(Thread* t) {
    auto* c = static_cast<Context*>(t->platform);
    if (c->owns_stack) {
        free(t->stack);
        t->stack = nullptr;
    }
    delete c;
}

void idle() { current_vcpu->idle(); }
void arm_timer(Timer* t, uint64_t deadline) { current_vcpu->timers.add(t, deadline); }
void cancel_timer(Timer* t) { current_vcpu->timers.remove(t); }
void kick_scheduler(Scheduler* target) { current_host->kick(target->cpu()); }
bool mask_events() {
    bool was = events_masked;
    events_masked = true;
    return was;
}
void restore_events(bool was) { events_masked = was; }

const sched::Hooks hooks = {switch_context, prepare_thread, release_thread, idle,
                            arm_timer,      cancel_timer,   kick_scheduler, mask_events,
                            restore_events};

}  // namespace

void HostVcpus::Vcpu::idle() {
    std::deque<std::function<void()>> work;
    {
        std::unique_lock<std::mutex> lock(m);
        auto ready = [this] { return kicked || (!frozen && !upcalls.empty()); };
        uint64_t deadline = timers.earliest_deadline();
        if (deadline == TimerQueue::kNever) {
            cv.wait(lock, ready);
        } else {
            auto until = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline));
            cv.wait_until(lock, until, ready);
        }
        kicked = false;
        if (!frozen) work.swap(upcalls);
    }
    bool was = mask_events();
    for (auto& fn : work) {
        if (unsigned jitter = upcall_jitter_us.load())
            std::this_thread::sleep_for(std::chrono::microseconds(random() % (jitter + 1)));
        fn();
    }
    timers.run_expired(host_now_ns());
    restore_events(was);
}

// The vCPU's boot context: joins the threads run_on started here, else sleeps.
void HostVcpus::Vcpu::main() {
    current_vcpu = this;
    current_host = host;
    set_this_scheduler(&scheduler);
    boot.platform = &boot_context;
    scheduler.init(&hooks, &boot, id);
    ready.store(true);
    while (!stop.load()) {
        Thread* t = nullptr;
        std::promise<void> joined;
        {
            std::lock_guard<std::mutex> lock(m);
            if (!to_join.empty()) {
                t = to_join.front().first;
                joined = std::move(to_join.front().second);
                to_join.erase(to_join.begin());
            }
        }
        if (t) {
            (void)scheduler.join(t);
            joined.set_value();
            continue;
        }
        scheduler.sleep_until(host_now_ns() + 1'000'000);
    }
}

HostVcpus::HostVcpus(unsigned count) {
    for (unsigned i = 0; i < count; ++i) {
        vcpus_.push_back(std::make_unique<Vcpu>());
        vcpus_.back()->id = i;
        vcpus_.back()->host = this;
    }
    for (auto& v : vcpus_) v->os = std::thread([p = v.get()] { p->main(); });
    // Each may spawn onto the others' schedulers from the start.
    for (auto& v : vcpus_)
        while (!v->ready.load()) std::this_thread::yield();
}

HostVcpus::~HostVcpus() {
    for (auto& v : vcpus_) {
        freeze(v->id, false);
        v->stop.store(true);
        kick(v->id);
    }
    for (auto& v : vcpus_) v->os.join();
}

Scheduler& HostVcpus::scheduler(unsigned cpu) { return vcpus_.at(cpu)->scheduler; }
unsigned HostVcpus::this_cpu() { return current_vcpu->id; }
HostVcpus* HostVcpus::current() { return current_host; }

bool HostVcpus::run_on(unsigned cpu, std::function<void()> body, unsigned timeout_ms) {
    Vcpu* v = vcpus_.at(cpu).get();
    std::promise<void> joined;
    auto done = joined.get_future();
    auto* shared_body = new std::function<void()>(std::move(body));
    auto* shared_joined = new std::promise<void>(std::move(joined));
    post(cpu, [v, shared_body, shared_joined] {
        auto t = v->scheduler.spawn(
            "test-body",
            [](void* arg) {
                auto* fn = static_cast<std::function<void()>*>(arg);
                (*fn)();
                delete fn;
            },
            shared_body, 256 * 1024);
        if (t.is_error()) abort();
        std::lock_guard<std::mutex> lock(v->m);
        v->to_join.emplace_back(t.value(), std::move(*shared_joined));
        delete shared_joined;
    });
    return done.wait_for(std::chrono::milliseconds(timeout_ms)) == std::future_status::ready;
}

void HostVcpus::post(unsigned cpu, std::function<void()> fn) {
    Vcpu* v = vcpus_.at(cpu).get();
    {
        std::lock_guard<std::mutex> lock(v->m);
        v->upcalls.push_back(std::move(fn));
    }
    v->cv.notify_all();
}

void HostVcpus::post_call(unsigned cpu, smp::CrossCall* call) {
    Vcpu* v = vcpus_.at(cpu).get();
    v->calls.push(call);
    post(cpu, [v] { (void)v->calls.run_all(); });
}

void HostVcpus::kick(unsigned cpu) {
    Vcpu* v = vcpus_.at(cpu).get();
    {
        std::lock_guard<std::mutex> lock(v->m);
        v->kicked = true;
    }
    v->cv.notify_all();
    if (unsigned us = v->kick_delay_us.load()) {
        std::this_thread::sleep_for(std::chrono::microseconds(us));
    }
}

void HostVcpus::wait_for_kick(unsigned cpu, uint64_t slice_ns) {
    Vcpu* v = vcpus_.at(cpu).get();
    std::unique_lock<std::mutex> lock(v->m);
    v->cv.wait_for(lock, std::chrono::nanoseconds(slice_ns), [v] { return v->kicked; });
    v->kicked = false;
}

void HostVcpus::set_kick_delay_us(unsigned cpu, unsigned us) { vcpus_.at(cpu)->kick_delay_us = us; }

void HostVcpus::freeze(unsigned cpu, bool frozen) {
    Vcpu* v = vcpus_.at(cpu).get();
    {
        std::lock_guard<std::mutex> lock(v->m);
        v->frozen = frozen;
    }
    v->cv.notify_all();
}

void HostVcpus::set_upcall_jitter_us(unsigned cpu, unsigned us) {
    vcpus_.at(cpu)->upcall_jitter_us = us;
}

}  // namespace torpor::test

torpor::sched::Scheduler& torpor::sched::this_scheduler() { return *torpor::test::current_scheduler; }
