// The blkfront Disk (drivers/blkfront/disk.cpp) for real on the host, against
// a fake blkback that maps our grants and serves the shared ring: large I/Os
// as BLKIF_OP_INDIRECT or cut into plain requests, every grant ended before
// an I/O completes, and a resume into a new domain onto a backend that takes
// fewer indirect segments (or none): only the pages without a response go
// again, cut for it, in order. The platform is faked: frames (a pool mapped
// where arch::ptr_of_pfn finds it), the grant table, the p2m, event channels,
// the scheduler hooks (only this thread runs) and the clock.
#include <gtest/gtest.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "arch/x86_64/layout.h"
#include "base/log.h"
#include "drivers/blkfront/disk.h"
#include "kernel/device_hooks.h"
#include "kernel/events/event_channels.h"
#include "kernel/memory.h"
#include "kernel/sched/scheduler.h"
#include "kernel/time/clock.h"
#include "xen/grants.h"
#include "xen/p2m.h"

using namespace torpor;
using namespace torpor::blkfront;

namespace {

// --- frames: a pool whose pfns are what arch::ptr_of_pfn turns back into it ---
constexpr unsigned long kPoolFrames = 2048;
uint8_t* pool = nullptr;
unsigned long pool_pfn = 0;
std::vector<bool> frame_used;
std::vector<unsigned long> p2m_window;  // identity: mfn == pfn
xen::P2m fake_p2m;

void init_pool() {
    if (!pool) {
        void* p = mmap(nullptr, kPoolFrames * kPageSize, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_NE(p, MAP_FAILED);
        pool = static_cast<uint8_t*>(p);
        pool_pfn = arch::pfn_of_virt(reinterpret_cast<uintptr_t>(pool));
        ASSERT_EQ(arch::ptr_of_pfn<uint8_t>(pool_pfn), pool);
        p2m_window.resize(kPoolFrames);
        for (unsigned long i = 0; i < kPoolFrames; ++i) p2m_window[i] = pool_pfn + i;
        // The p2m list indexed by pfn: only the pool's window is ever read.
        fake_p2m.init(p2m_window.data() - pool_pfn, pool_pfn + kPoolFrames);
    }
    frame_used.assign(kPoolFrames, false);
}
size_t frames_in_use() {
    size_t n = 0;
    for (bool u : frame_used) n += u;
    return n;
}
uint8_t* frame(unsigned long pfn) { return arch::ptr_of_pfn<uint8_t>(pfn); }

// --- the grant table ----------------------------------------------------------
struct Grant {
    unsigned long mfn;
    bool readonly;
    bool mapped;  // the fake backend holds it
};
std::map<grant_ref_t, Grant> grants;
size_t grant_limit = SIZE_MAX;
grant_ref_t next_ref = 8;

// --- the scheduler hooks: only the test's own thread runs ----------------------
sched::Scheduler scheduler;
bool masked = false;
void no_switch(sched::Thread*, sched::Thread*) { abort(); }
// Threads are made (the disk's completion thread) but never run: the test
// never blocks, so nothing switches to them.
Error no_prepare(sched::Thread*) { return Error::none; }
void no_release(sched::Thread*) {}
void no_idle() {
    fprintf(stderr, "the disk waited: nothing else runs here\n");
    abort();
}
void no_timer(Timer*, uint64_t) {}
void no_cancel(Timer*) {}
bool mask_events() {
    bool was = masked;
    masked = true;
    return was;
}
void restore_events(bool was) { masked = was; }
const sched::Hooks hooks = {no_switch, no_prepare, no_release,  no_idle, no_timer,
                            no_cancel, nullptr,    mask_events, restore_events};

std::vector<std::string> log_lines;
unsigned notifies = 0;
bool logged(const char* needle) {
    for (auto& l : log_lines)
        if (l.find(needle) != std::string::npos) return true;
    return false;
}

}  // namespace

// --- the platform the disk links against ----------------------------------------
sched::Scheduler& torpor::sched::this_scheduler() { return scheduler; }
uint64_t torpor::clock::monotonic_ns() { return 0; }
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
void torpor::verify_failed(const char* kind, const char* condition, const char* file, int line,
                           const char* function) {
    fprintf(stderr, "%s(%s) failed at %s:%d in %s()\n", kind, condition, file, line, function);
    abort();
}
ErrorOr<unsigned long> torpor::memory::allocate_frames(size_t count) {
    for (unsigned long i = 0; i + count <= kPoolFrames; ++i) {
        bool free = true;
        for (size_t k = 0; k < count && free; ++k) free = !frame_used[i + k];
        if (!free) continue;
        for (size_t k = 0; k < count; ++k) frame_used[i + k] = true;
        memset(pool + i * kPageSize, 0x5a, count * kPageSize);
        return pool_pfn + i;
    }
    return Error::out_of_memory;
}
Error torpor::memory::free_frames(unsigned long first, size_t count) {
    for (size_t k = 0; k < count; ++k) {
        EXPECT_TRUE(frame_used[first - pool_pfn + k]) << "double free";
        frame_used[first - pool_pfn + k] = false;
    }
    return Error::none;
}
xen::P2m& xen::p2m() { return fake_p2m; }
ErrorOr<grant_ref_t> xen::grant_table::grant_access(domid_t, unsigned long mfn, bool readonly) {
    if (grants.size() >= grant_limit) return Error::out_of_memory;  // GrantRefs::allocate
    grants[next_ref] = Grant{mfn, readonly, false};
    return next_ref++;
}
Error xen::grant_table::revoke_access(grant_ref_t ref) {
    auto g = grants.find(ref);
    if (g == grants.end()) return Error::invalid_argument;
    if (g->second.mapped) return Error::busy;
    grants.erase(g);
    return Error::none;
}
ErrorOr<EventHandle> torpor::events::alloc_unbound(uint16_t, Handler, void*) {
    return EventHandle{7, 1};
}
Error torpor::events::notify(EventHandle) {
    ++notifies;
    return Error::none;
}
Error torpor::events::unbind(EventHandle) { return Error::none; }
devices::Hooks disk_hooks{};  // what Disk::init registered
Error torpor::devices::register_hooks(const Hooks& h) {
    disk_hooks = h;
    return Error::none;
}

namespace {

// --- a fake blkback ---------------------------------------------------------------
struct SeenRequest {
    bool indirect;
    uint8_t operation;
    uint64_t sector;
    uint32_t segments;
};

struct FakeBlkback {
    blkif_sring* sring = nullptr;
    uint32_t size = 0;
    uint32_t req_cons = 0, rsp_prod_pvt = 0;
    uint32_t max_indirect = 0;
    bool keeps_grants = false;  // feature-persistent: every grant it maps stays mapped
    std::vector<uint8_t> disk = std::vector<uint8_t>(8u << 20);
    std::vector<SeenRequest> seen;
    std::vector<blkif_request_t> held;  // taken, not answered yet

    void attach(const Disk& d) {
        auto& g = grants.at(d.ring_ref(0));
        sring = reinterpret_cast<blkif_sring*>(frame(g.mfn));
        size = d.ring_slots();
        req_cons = rsp_prod_pvt = 0;
    }
    uint8_t* map(grant_ref_t ref, bool write) {
        auto it = grants.find(ref);
        EXPECT_NE(it, grants.end()) << "gref " << ref << " not granted";
        if (it == grants.end()) return nullptr;
        EXPECT_FALSE(write && it->second.readonly) << "writing through a read-only grant";
        if (keeps_grants) {
            // blkback maps persistent grants writable, whatever the request.
            EXPECT_FALSE(it->second.readonly) << "a persistent grant must be writable";
            it->second.mapped = true;
            mapped_refs.push_back(ref);
        }
        return frame(it->second.mfn);
    }
    // Takes every new request (without answering).
    void take() {
        for (; req_cons != sring->req_prod; ++req_cons) held.push_back(sring->ring[req_cons % size].req);
    }
    // Does request `r` and answers it (OKAY) with what Linux blkback echoes.
    void serve(const blkif_request_t& r) {
        std::vector<blkif_request_segment> segs;
        uint8_t op = r.operation;
        uint64_t sector = r.sector_number;
        bool indirect = r.operation == BLKIF_OP_INDIRECT;
        if (indirect) {
            blkif_request_indirect_t ind;
            memcpy(&ind, &r, sizeof(ind));
            EXPECT_GT(max_indirect, 0u) << "indirect request to a backend that offered none";
            EXPECT_LE(ind.nr_segments, max_indirect);
            if (!keeps_grants) {
                EXPECT_TRUE(grants.at(ind.indirect_grefs[0]).readonly) << "indirect page read-only";
            }
            auto* list = reinterpret_cast<blkif_request_segment*>(map(ind.indirect_grefs[0], false));
            segs.assign(list, list + ind.nr_segments);
            op = ind.indirect_op;
            sector = ind.sector_number;
        } else {
            EXPECT_LE(r.nr_segments, kMaxSegments);
            segs.assign(r.seg, r.seg + r.nr_segments);
        }
        seen.push_back(SeenRequest{indirect, op, sector, uint32_t(segs.size())});
        uint64_t at = sector * 512;
        for (auto& s : segs) {
            uint32_t bytes = (s.last_sect - s.first_sect + 1) * 512u;
            uint8_t* page = map(s.gref, op == BLKIF_OP_READ);
            if (!page) continue;
            if (op == BLKIF_OP_WRITE) memcpy(&disk[at], page + s.first_sect * 512, bytes);
            if (op == BLKIF_OP_READ) memcpy(page + s.first_sect * 512, &disk[at], bytes);
            at += bytes;
        }
        blkif_response_t& rsp = sring->ring[rsp_prod_pvt++ % size].rsp;
        rsp.id = r.id;
        rsp.operation = op;  // dispatch_rw_block_io's req_operation
        rsp.status = BLKIF_RSP_OKAY;
    }
    void publish() { sring->rsp_prod = rsp_prod_pvt; }
    // What blkback does when it disconnects: unmaps every persistent grant.
    void unmap_all() {
        for (auto ref : mapped_refs)
            if (auto g = grants.find(ref); g != grants.end()) g->second.mapped = false;
        mapped_refs.clear();
    }
    std::vector<grant_ref_t> mapped_refs;
    // Serves everything that is on the ring, until nothing new comes.
    void serve_all(Disk& d) {
        for (int round = 0; round < 100; ++round) {
            take();
            if (held.empty()) return;
            auto batch = held;
            held.clear();
            for (auto& r : batch) serve(r);
            publish();
            d.handle_events();
        }
    }
};

DiskGeometry geometry() {
    return DiskGeometry{(8u << 20) / 512, 512, 0, true, false};
}

class BlkfrontDisk : public ::testing::Test {
protected:
    void SetUp() override {
        init_pool();
        grants.clear();
        grant_limit = SIZE_MAX;
        log_lines.clear();
        boot_ = new sched::Thread;
        scheduler = sched::Scheduler();
        scheduler.init(&hooks, boot_, 0);
        disk_ = new Disk("xvdt", 51712);
    }
    void TearDown() override {
        delete disk_;  // (null when a test handed it to Disk::init for good)
        delete boot_;
    }
    void connect(uint32_t indirect, uint32_t persistent_pages = 0) {
        ASSERT_EQ(disk_->setup_rings(0, 0), Error::none);
        backend_.max_indirect = indirect;
        backend_.keeps_grants = persistent_pages > 0;
        backend_.attach(*disk_);
        ASSERT_EQ(disk_->connect(geometry(), indirect, persistent_pages), Error::none);
    }
    // A resume into a new domain: the old grant table is gone (every ref with
    // it), the ring is forgotten, a new backend connects offering `indirect`.
    void resume_onto(uint32_t indirect, uint32_t persistent_pages = 0) {
        grants.clear();
        disk_->forget_rings();
        std::vector<uint8_t> image = std::move(backend_.disk);  // the same disk behind it
        backend_ = FakeBlkback{};
        backend_.disk = std::move(image);
        connect(indirect, persistent_pages);
    }
    Io write_io(uint64_t sector, std::vector<uint8_t>& data) {
        Io io;
        io.op = Op::write;
        io.sector = sector;
        io.buffer = data.data();
        io.length = uint32_t(data.size());
        return io;
    }
    static std::vector<uint8_t> pattern(uint32_t bytes, uint8_t seed) {
        std::vector<uint8_t> v(bytes);
        for (uint32_t i = 0; i < bytes; ++i) v[i] = uint8_t(i * 13 + seed + i / 4096);
        return v;
    }
    size_t grants_besides_ring() const { return grants.size() - disk_->ring_pages(); }

    sched::Thread* boot_ = nullptr;
    Disk* disk_ = nullptr;
    FakeBlkback backend_;
};

TEST_F(BlkfrontDisk, WritesGoIndirectAndEveryGrantEndsBeforeCompletion) {
    connect(kMaxIndirectSegments);
    auto data = pattern(kMaxIoBytes, 1);
    Io io;
    io.op = Op::write;
    io.sector = 2048;
    io.buffer = data.data();
    io.length = kMaxIoBytes;
    ASSERT_EQ(disk_->submit(io), Error::none);
    backend_.take();
    ASSERT_EQ(backend_.held.size(), 1u) << "256 KiB in one request";
    EXPECT_EQ(grants_besides_ring(), kMaxIoPages + 1) << "64 data pages and the indirect page";
    for (auto& r : backend_.held) backend_.serve(r);
    backend_.held.clear();
    backend_.publish();
    disk_->handle_events();
    ASSERT_TRUE(io.done.is_complete());
    EXPECT_EQ(io.result, Error::none);
    EXPECT_TRUE(backend_.seen[0].indirect);
    EXPECT_EQ(backend_.seen[0].segments, kMaxIoPages);
    EXPECT_EQ(grants_besides_ring(), 0u) << "all ended";
    EXPECT_TRUE(logged("ring slots, indirect: 64 segments a request"));
    EXPECT_EQ(memcmp(&backend_.disk[2048 * 512], data.data(), kMaxIoBytes), 0);
    EXPECT_EQ(frames_in_use(), disk_->ring_pages()) << "bounce and indirect pages freed";
}

TEST_F(BlkfrontDisk, WithoutIndirectSegmentsAnIoIsCutIntoPlainRequests) {
    connect(0);
    auto data = pattern(kMaxIoBytes - 1024, 2);  // the last page partly
    Io io;
    io.op = Op::write;
    io.sector = 8;
    io.buffer = data.data();
    io.length = uint32_t(data.size());
    ASSERT_EQ(disk_->submit(io), Error::none);
    backend_.serve_all(*disk_);
    ASSERT_TRUE(io.done.is_complete());
    EXPECT_EQ(io.result, Error::none);
    ASSERT_EQ(backend_.seen.size(), 6u);
    for (auto& s : backend_.seen) EXPECT_FALSE(s.indirect);
    EXPECT_EQ(backend_.seen[1].sector, 8u + 11 * 8);
    EXPECT_EQ(memcmp(&backend_.disk[8 * 512], data.data(), data.size()), 0);
    // Read it back, with 32 indirect segments after a reconnect: two requests.
    resume_onto(32);
    std::vector<uint8_t> back(data.size());
    Io rd;
    rd.op = Op::read;
    rd.sector = 8;
    rd.buffer = back.data();
    rd.length = uint32_t(back.size());
    ASSERT_EQ(disk_->submit(rd), Error::none);
    backend_.serve_all(*disk_);
    ASSERT_TRUE(rd.done.is_complete());
    EXPECT_EQ(rd.result, Error::none);
    ASSERT_EQ(backend_.seen.size(), 2u);
    EXPECT_TRUE(backend_.seen[0].indirect);
    EXPECT_EQ(backend_.seen[0].segments, 32u);
    EXPECT_EQ(back, data);
    EXPECT_EQ(grants_besides_ring(), 0u);
}

TEST_F(BlkfrontDisk, AResumeOntoABackendWithoutIndirectResendsOnlyWhatHadNoAnswer) {
    connect(32);
    auto a = pattern(kMaxIoBytes, 3), b = pattern(kMaxIoBytes, 4);
    Io ia, ib;
    ia.op = ib.op = Op::write;
    ia.sector = 0;
    ib.sector = 4096;
    ia.buffer = a.data();
    ib.buffer = b.data();
    ia.length = ib.length = kMaxIoBytes;
    ASSERT_EQ(disk_->submit(ia), Error::none);
    ASSERT_EQ(disk_->submit(ib), Error::none);
    backend_.take();
    ASSERT_EQ(backend_.held.size(), 4u) << "two indirect requests of 32 each";
    // The old backend answers the second half of `a` only, then we move.
    backend_.serve(backend_.held[1]);
    backend_.publish();
    disk_->handle_events();
    EXPECT_FALSE(ia.done.is_complete());
    resume_onto(0);
    EXPECT_TRUE(logged("indirect: 11 segments a request (off: plain requests)"));
    EXPECT_TRUE(logged("re-issuing 2 requests that had no response, in their original order"));
    backend_.serve_all(*disk_);
    ASSERT_TRUE(ia.done.is_complete());
    ASSERT_TRUE(ib.done.is_complete());
    EXPECT_EQ(ia.result, Error::none);
    EXPECT_EQ(ib.result, Error::none);
    // a: pages 0..31 again (3 requests), then all of b (6), in that order.
    ASSERT_EQ(backend_.seen.size(), 9u);
    std::vector<uint64_t> sectors;
    for (auto& s : backend_.seen) {
        EXPECT_FALSE(s.indirect);
        sectors.push_back(s.sector);
    }
    EXPECT_EQ(sectors, (std::vector<uint64_t>{0, 88, 176, 4096, 4096 + 88, 4096 + 176, 4096 + 264,
                                              4096 + 352, 4096 + 440}));
    EXPECT_EQ(memcmp(&backend_.disk[0], a.data(), kMaxIoBytes), 0);
    EXPECT_EQ(memcmp(&backend_.disk[4096 * 512], b.data(), kMaxIoBytes), 0);
    EXPECT_EQ(grants_besides_ring(), 0u);
    EXPECT_EQ(frames_in_use(), disk_->ring_pages());
    EXPECT_EQ(disk_->reissued_total(), 2u);
}

TEST_F(BlkfrontDisk, AReadIsNotCompletedFromAPageTheBackendStillMaps) {
    connect(kMaxIndirectSegments);
    std::vector<uint8_t> buffer(kMaxIoBytes, 0xcc);
    Io io;
    io.op = Op::read;
    io.buffer = buffer.data();
    io.length = kMaxIoBytes;
    ASSERT_EQ(disk_->submit(io), Error::none);
    backend_.take();
    ASSERT_EQ(backend_.held.size(), 1u);
    blkif_request_indirect_t ind;
    memcpy(&ind, &backend_.held[0], sizeof(ind));
    auto* list = reinterpret_cast<blkif_request_segment*>(frame(grants.at(ind.indirect_grefs[0]).mfn));
    grants.at(list[5].gref).mapped = true;  // answers, but keeps page 5 mapped
    backend_.serve(backend_.held[0]);
    backend_.publish();
    disk_->handle_events();
    ASSERT_TRUE(io.done.is_complete());
    EXPECT_EQ(io.result, Error::protocol_error);
    EXPECT_TRUE(disk_->is_broken());
    EXPECT_EQ(buffer, std::vector<uint8_t>(kMaxIoBytes, 0xcc)) << "nothing copied out";
    EXPECT_EQ(grants_besides_ring(), 1u) << "only the page the backend holds";
}

TEST_F(BlkfrontDisk, AHalfPostedIoAcrossAResumeGoesOnAfterTheOlderOnesInOrder) {
    // Plain requests: six 256 KiB writes take 36 slots of a 32-slot ring, so
    // the sixth is half posted (2 of its 6 requests, then 3) when we move; the new
    // backend takes 64 indirect segments.
    connect(0);
    std::vector<std::vector<uint8_t>> data;
    std::vector<Io> ios(6);
    for (unsigned i = 0; i < 6; ++i) {
        data.push_back(pattern(kMaxIoBytes, uint8_t(10 + i)));
        ios[i].op = Op::write;
        ios[i].sector = 1024ull * i;
        ios[i].buffer = data[i].data();
        ios[i].length = kMaxIoBytes;
        ASSERT_EQ(disk_->submit(ios[i]), Error::none);
    }
    backend_.take();
    ASSERT_EQ(backend_.held.size(), 32u);
    // Answered: the first request of the sixth only; its slot takes the
    // sixth's third request (pages 22..32), pages 33..63 stay queued.
    backend_.serve(backend_.held[30]);
    backend_.publish();
    disk_->handle_events();
    backend_.take();
    ASSERT_EQ(backend_.held.size(), 33u);
    EXPECT_EQ(backend_.held[32].sector_number, 5120u + 22 * 8);
    EXPECT_FALSE(ios[5].done.is_complete());
    resume_onto(kMaxIndirectSegments);
    EXPECT_TRUE(logged("re-issuing 5 requests that had no response, in their original order "
                       "(1 more were queued)"));
    backend_.serve_all(*disk_);
    for (unsigned i = 0; i < 6; ++i) {
        ASSERT_TRUE(ios[i].done.is_complete()) << i;
        EXPECT_EQ(ios[i].result, Error::none) << i;
        EXPECT_EQ(memcmp(&backend_.disk[1024ull * i * 512], data[i].data(), kMaxIoBytes), 0) << i;
    }
    // After the move: the first five whole, then the sixth from page 11 on
    // (its answered first run is not sent again), each one indirect request.
    ASSERT_EQ(backend_.seen.size(), 6u);
    std::vector<std::pair<uint64_t, uint32_t>> got;
    for (size_t k = 0; k < backend_.seen.size(); ++k) {
        EXPECT_TRUE(backend_.seen[k].indirect);
        got.push_back({backend_.seen[k].sector, backend_.seen[k].segments});
    }
    EXPECT_EQ(got, (std::vector<std::pair<uint64_t, uint32_t>>{
                       {0, 64}, {1024, 64}, {2048, 64}, {3072, 64}, {4096, 64}, {5120 + 88, 53}}));
    EXPECT_EQ(grants_besides_ring(), 0u);
    EXPECT_EQ(frames_in_use(), disk_->ring_pages());
}

TEST_F(BlkfrontDisk, AWrongAnswerToAnIndirectRequestFailsEverythingAndEndsEveryGrant) {
    connect(32);
    auto data = pattern(kMaxIoBytes, 7);
    Io a, b;
    a.op = b.op = Op::write;
    a.buffer = b.buffer = data.data();
    a.length = b.length = kMaxIoBytes;
    b.sector = 2048;
    ASSERT_EQ(disk_->submit(a), Error::none);
    ASSERT_EQ(disk_->submit(b), Error::none);
    backend_.take();
    ASSERT_EQ(backend_.held.size(), 4u);
    backend_.serve(backend_.held[0]);  // good
    blkif_response_t& bad = backend_.sring->ring[backend_.rsp_prod_pvt++ % backend_.size].rsp;
    bad.id = backend_.held[1].id;
    bad.operation = BLKIF_OP_READ;  // the request was an indirect write
    bad.status = BLKIF_RSP_OKAY;
    backend_.publish();
    disk_->handle_events();
    EXPECT_TRUE(disk_->is_broken());
    EXPECT_TRUE(logged("has operation 0, but the request was 1 (indirect); device marked broken"));
    ASSERT_TRUE(a.done.is_complete());
    ASSERT_TRUE(b.done.is_complete());
    EXPECT_EQ(a.result, Error::io_error);
    EXPECT_EQ(b.result, Error::io_error);
    EXPECT_EQ(grants_besides_ring(), 0u) << "data and indirect pages all revoked";
    EXPECT_EQ(frames_in_use(), disk_->ring_pages());
}

TEST_F(BlkfrontDisk, OutOfGrantRefsAnIoWaitsForResponsesOrFailsWhenNoneCanCome) {
    connect(kMaxIndirectSegments);
    grant_limit = disk_->ring_pages() + kMaxIoPages + 1 + 10;  // one I/O and a bit
    auto data = pattern(kMaxIoBytes, 8);
    Io a, b;
    a.op = b.op = Op::write;
    a.buffer = b.buffer = data.data();
    a.length = b.length = kMaxIoBytes;
    b.sector = 1024;
    ASSERT_EQ(disk_->submit(a), Error::none);
    ASSERT_EQ(disk_->submit(b), Error::none);
    backend_.take();
    EXPECT_EQ(backend_.held.size(), 1u) << "the second waits for refs";
    EXPECT_FALSE(b.done.is_complete());
    backend_.serve_all(*disk_);
    ASSERT_TRUE(a.done.is_complete());
    ASSERT_TRUE(b.done.is_complete());
    EXPECT_EQ(a.result, Error::none);
    EXPECT_EQ(b.result, Error::none);
    EXPECT_EQ(memcmp(&backend_.disk[1024 * 512], data.data(), kMaxIoBytes), 0);
    // Too few refs for even one request, nothing on the ring: it fails.
    grant_limit = disk_->ring_pages() + 5;
    Io c;
    c.op = Op::write;
    c.buffer = data.data();
    c.length = kMaxIoBytes;
    ASSERT_EQ(disk_->submit(c), Error::none);
    ASSERT_TRUE(c.done.is_complete());
    EXPECT_EQ(c.result, Error::out_of_memory);
    EXPECT_TRUE(logged("cannot post a write (out of memory)"));
    EXPECT_EQ(grants_besides_ring(), 0u);
    EXPECT_FALSE(disk_->is_broken());
}

struct FakeBus final : Bus {
    unsigned suspendings = 0, cancelled = 0, new_domains = 0;
    void suspending() override { ++suspendings; }
    void suspend_cancelled() override { ++cancelled; }
    Error resumed_in_new_domain() override {
        ++new_domains;
        return Error::none;
    }
};

TEST_F(BlkfrontDisk, ACancelledSuspendKeepsTheRingAndReissuesNothing) {
    // The only test that registers the disk (Disk::init: a static table of
    // kMaxDisks that the suspend hooks walk); it stays registered, never freed.
    static FakeBus bus;
    Disk* registered = disk_;
    disk_ = new Disk("xvdu", 51728);
    std::swap(registered, disk_);
    delete registered;
    ASSERT_EQ(disk_->init(bus), Error::none);
    connect(kMaxIndirectSegments);
    auto data = pattern(kMaxIoBytes, 5);
    Io a, b;
    a.op = b.op = Op::write;
    a.buffer = b.buffer = data.data();
    a.length = b.length = kMaxIoBytes;
    b.sector = 1024;
    ASSERT_EQ(disk_->submit(a), Error::none);
    backend_.take();
    ASSERT_EQ(backend_.held.size(), 1u);
    ASSERT_EQ(disk_hooks.suspend(), Error::none);
    ASSERT_EQ(disk_->submit(b), Error::none);  // suspended: queued, not posted
    backend_.take();
    EXPECT_EQ(backend_.held.size(), 1u);
    EXPECT_EQ(bus.suspendings, 1u) << "the Frontend leaves backend events to the resume";
    ASSERT_EQ(disk_hooks.resume(false), Error::none);
    EXPECT_EQ(bus.cancelled, 1u);
    EXPECT_EQ(bus.new_domains, 0u);
    backend_.serve_all(*disk_);
    ASSERT_TRUE(a.done.is_complete());
    ASSERT_TRUE(b.done.is_complete());
    EXPECT_EQ(a.result, Error::none);
    EXPECT_EQ(b.result, Error::none);
    EXPECT_EQ(backend_.seen.size(), 2u) << "the same ring: nothing sent twice";
    EXPECT_EQ(disk_->reissued_total(), 0u);
    EXPECT_TRUE(logged("suspend cancelled; same ring, 2 requests in flight, nothing re-issued"))
        << "the one kept and the one queued while suspended";
    disk_ = nullptr;  // registered for good: TearDown must not free it
}

// A plain-request disk whose backend offers these flush features; a flush
// submitted to it.
class BlkfrontFlush : public BlkfrontDisk {
protected:
    void connect_and_flush(bool flush_cache, bool barrier) {
        ASSERT_EQ(disk_->setup_rings(0, 0), Error::none);
        backend_.attach(*disk_);
        DiskGeometry g = geometry();
        g.flush_cache = flush_cache;
        g.barrier = barrier;
        ASSERT_EQ(disk_->connect(g, 0), Error::none);
        flush_.op = Op::flush;
        ASSERT_EQ(disk_->submit(flush_), Error::none);
    }
    Io flush_;
};

TEST_F(BlkfrontFlush, AFlushIsAnEmptyBarrierWhenTheBackendOffersOnlyThat) {
    connect_and_flush(/*flush_cache=*/false, /*barrier=*/true);
    EXPECT_TRUE(logged("flush: barrier"));
    Io& flush = flush_;
    backend_.serve_all(*disk_);
    ASSERT_TRUE(flush.done.is_complete());
    EXPECT_EQ(flush.result, Error::none);
    ASSERT_EQ(backend_.seen.size(), 1u);
    EXPECT_EQ(backend_.seen[0].operation, BLKIF_OP_WRITE_BARRIER);
    EXPECT_EQ(backend_.seen[0].segments, 0u);
}

TEST_F(BlkfrontFlush, AFlushToABackendWithNeitherFlushNorBarrierIsNotSupported) {
    connect_and_flush(/*flush_cache=*/false, /*barrier=*/false);
    Io& flush = flush_;
    ASSERT_TRUE(flush.done.is_complete());
    EXPECT_EQ(flush.result, Error::not_supported);
    backend_.take();
    EXPECT_TRUE(backend_.held.empty()) << "nothing went to the ring";
    EXPECT_FALSE(disk_->is_broken());
}

// ---- persistent grants (feature-persistent on both sides) --------------------------

constexpr uint32_t kPool = 2 * (kMaxIoPages + 1);  // the smallest pool: two full requests

TEST_F(BlkfrontDisk, PersistentGrantsAreReusedWhileTheBackendKeepsThemMapped) {
    connect(kMaxIndirectSegments, kPool);
    EXPECT_TRUE(logged("grants: persistent"));
    auto a = pattern(kMaxIoBytes, 21), b = pattern(kMaxIoBytes, 22);
    Io wa = write_io(0, a);
    ASSERT_EQ(disk_->submit(wa), Error::none);
    backend_.serve_all(*disk_);
    ASSERT_TRUE(wa.done.is_complete());
    EXPECT_EQ(wa.result, Error::none);
    std::map<grant_ref_t, Grant> after_first(grants);
    EXPECT_EQ(grants_besides_ring(), kMaxIoPages + 1u) << "kept, not revoked";
    // The next write and a read go through the very same grants, still mapped.
    Io wb = write_io(4096, b);
    ASSERT_EQ(disk_->submit(wb), Error::none);
    backend_.serve_all(*disk_);
    ASSERT_TRUE(wb.done.is_complete());
    EXPECT_EQ(wb.result, Error::none);
    std::vector<uint8_t> back(kMaxIoBytes, 0);
    Io rd;
    rd.op = Op::read;
    rd.buffer = back.data();
    rd.length = kMaxIoBytes;
    ASSERT_EQ(disk_->submit(rd), Error::none);
    backend_.serve_all(*disk_);
    ASSERT_TRUE(rd.done.is_complete());
    EXPECT_EQ(rd.result, Error::none);
    EXPECT_EQ(back, a) << "copied out of a page the backend keeps mapped";
    EXPECT_EQ(memcmp(&backend_.disk[4096 * 512], b.data(), kMaxIoBytes), 0);
    ASSERT_EQ(grants.size(), after_first.size()) << "no new grant for the second and third";
    for (auto& [ref, g] : after_first) {
        ASSERT_TRUE(grants.count(ref)) << ref;
        EXPECT_EQ(grants.at(ref).mfn, g.mfn) << "a pool page keeps its frame";
    }
    EXPECT_EQ(disk_->pooled_pages(), kMaxIoPages + 1u);
    EXPECT_EQ(disk_->lent_pages(), 0u);
    EXPECT_EQ(frames_in_use(), disk_->ring_pages() + kMaxIoPages + 1u);
}

TEST_F(BlkfrontDisk, AFullPoolMakesRequestsWaitForResponses) {
    connect(kMaxIndirectSegments, kPool);
    auto data = pattern(kMaxIoBytes, 23);
    std::vector<Io> ios;
    ios.reserve(3);
    for (unsigned i = 0; i < 3; ++i) {
        ios.push_back(write_io(1024ull * i, data));
        ASSERT_EQ(disk_->submit(ios.back()), Error::none);
    }
    backend_.take();
    EXPECT_EQ(backend_.held.size(), 2u) << "the pool holds two; the third waits";
    EXPECT_EQ(disk_->pooled_pages(), kPool);
    backend_.serve_all(*disk_);
    for (auto& io : ios) {
        ASSERT_TRUE(io.done.is_complete());
        EXPECT_EQ(io.result, Error::none);
    }
    EXPECT_EQ(memcmp(&backend_.disk[2048 * 512], data.data(), kMaxIoBytes), 0);
    EXPECT_EQ(disk_->pooled_pages(), kPool) << "never beyond its limit";
    EXPECT_EQ(grants_besides_ring(), kPool);
    EXPECT_FALSE(disk_->is_broken());
}

TEST_F(BlkfrontDisk, AResumeDropsThePoolAndReissuesFromTheCallersData) {
    connect(kMaxIndirectSegments, kPool);
    auto a = pattern(kMaxIoBytes, 24), b = pattern(8192, 25);
    Io wa = write_io(0, a), wb = write_io(4096, b);
    ASSERT_EQ(disk_->submit(wa), Error::none);
    ASSERT_EQ(disk_->submit(wb), Error::none);
    backend_.take();  // taken, never answered: the domain moves
    ASSERT_EQ(backend_.held.size(), 2u);
    // A new domain: the old table went with every grant; the new backend
    // offers no persistent grants.
    resume_onto(kMaxIndirectSegments, 0);
    EXPECT_TRUE(logged("re-issuing 2 requests that had no response"));
    EXPECT_TRUE(logged("grants: transient"));
    backend_.serve_all(*disk_);
    ASSERT_TRUE(wa.done.is_complete());
    ASSERT_TRUE(wb.done.is_complete());
    EXPECT_EQ(wa.result, Error::none);
    EXPECT_EQ(wb.result, Error::none);
    EXPECT_EQ(memcmp(&backend_.disk[0], a.data(), kMaxIoBytes), 0);
    EXPECT_EQ(memcmp(&backend_.disk[4096 * 512], b.data(), b.size()), 0);
    EXPECT_EQ(disk_->pooled_pages(), 0u);
    EXPECT_EQ(grants_besides_ring(), 0u);
    EXPECT_EQ(frames_in_use(), disk_->ring_pages()) << "the old pool's frames freed";
    EXPECT_EQ(disk_->reissued_total(), 2u);
}

TEST_F(BlkfrontDisk, ADetachRevokesThePoolOnceTheBackendUnmappedIt) {
    connect(kMaxIndirectSegments, kPool);
    auto data = pattern(kMaxIoBytes, 26);
    Io w = write_io(0, data);
    ASSERT_EQ(disk_->submit(w), Error::none);
    backend_.serve_all(*disk_);
    ASSERT_TRUE(w.done.is_complete());
    // A backend that closed properly unmapped everything first.
    backend_.unmap_all();
    disk_->disconnect();
    EXPECT_EQ(grants.size(), 0u) << "pool and ring revoked";
    EXPECT_EQ(frames_in_use(), disk_->ring_pages()) << "the pool freed (the ring's kept for re-attach)";
    // Re-attached, persistent again; this backend closes without unmapping.
    connect(kMaxIndirectSegments, kPool);
    Io again = write_io(1024, data);
    ASSERT_EQ(disk_->submit(again), Error::none);
    backend_.serve_all(*disk_);
    ASSERT_TRUE(again.done.is_complete());
    EXPECT_EQ(again.result, Error::none);
    disk_->disconnect();
    EXPECT_TRUE(logged("closed with 65 persistently granted pages still mapped"));
    EXPECT_EQ(grants.size(), kMaxIoPages + 1u) << "the pool left to the backend, the ring revoked";
    EXPECT_FALSE(disk_->is_broken());
}

}  // namespace
