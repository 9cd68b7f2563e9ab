#include "drivers/netfront/netfront.h"

#include <lwip/pbuf.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86_64/layout.h"
#include "base/log.h"
#include "kernel/cpu_local.h"
#include "kernel/events/event_channels.h"
#include "kernel/memory.h"
#include "kernel/time/clock.h"
#include "xen/grants.h"
#include "xen/p2m.h"

namespace torpor::netfront {
namespace {

namespace gt = xen::grant_table;

// The driver thread also looks at the rings this often without an event: a
// lost notification costs at most this much, never a stuck device.
constexpr uint64_t kPollNs = 200'000'000;
constexpr uint8_t kDefaultPrefix = 24;

class Lock {
public:
    explicit Lock(Mutex& m) : m_(m) { m_.lock(); }
    ~Lock() { m_.unlock(); }

private:
    Mutex& m_;
};

Error allocate_page(unsigned long* pfn, uint8_t** data) {
    auto frame = memory::allocate_frames(1);
    if (frame.is_error()) return frame.error();
    *pfn = frame.value();
    *data = arch::ptr_of_pfn<uint8_t>(*pfn);
    memset(*data, 0, 4096);
    return Error::none;
}

}  // namespace

Netfront::Netfront(const char* name) : name_(name), tx_(tx_name_), rx_(rx_name_) {
    snprintf(tx_name_, sizeof(tx_name_), "netfront %s tx", name);
    snprintf(rx_name_, sizeof(rx_name_), "netfront %s rx", name);
}

bool Netfront::is_broken() const { return broken_ || tx_.is_broken() || rx_.is_broken(); }

void Netfront::mark_broken(const char* why) {
    if (!broken_) klog("netfront: %s broken: %s; the guest carries on without it", name_, why);
    broken_ = true;
    connected_ = false;
}

Error Netfront::start(const char* mac, size_t mac_length) {
    if (!parse_mac(mac, mac_length, &mac_)) {
        klog("netfront: %s broken: the mac \"%.*s\" does not parse; the guest carries on "
             "without it", name_, int(mac_length > 32 ? 32 : mac_length), mac);
        broken_ = true;
        return Error::protocol_error;
    }
    for (Page* p : {&tx_ring_page_, &rx_ring_page_}) TRY(allocate_page(&p->pfn, &p->data));
    for (unsigned i = 0; i < kTxBuffers; ++i) {
        TRY(allocate_page(&tx_buffers_[i].pfn, &tx_buffers_[i].data));
        tx_free_[tx_free_count_++] = uint16_t(i);
    }
    for (unsigned i = 0; i < kRxBuffers; ++i) {
        TRY(allocate_page(&rx_buffers_[i].pfn, &rx_buffers_[i].data));
        rx_free_[rx_free_count_++] = uint16_t(i);
    }
    TRY(glue_.add(name_, mac_, transmit_frame, this));
    return cpu_local(0).scheduler.spawn_detached(name_, run_thread, this);
}

Error Netfront::update_mac(const char* mac, size_t mac_length) {
    MacAddress now;
    if (!parse_mac(mac, mac_length, &now)) {
        Lock guard(ring_lock_);
        mark_broken("the mac at this handshake does not parse");
        return Error::protocol_error;
    }
    if (memcmp(now.bytes, mac_.bytes, sizeof(now.bytes)) == 0) return Error::none;
    const uint8_t *a = mac_.bytes, *b = now.bytes;
    klog("netfront: %s: the MAC changed from %02x:%02x:%02x:%02x:%02x:%02x to "
         "%02x:%02x:%02x:%02x:%02x:%02x (re-attached); the netif takes it", name_, a[0], a[1],
         a[2], a[3], a[4], a[5], b[0], b[1], b[2], b[3], b[4], b[5]);
    mac_ = now;
    glue_.set_mac(now);
    return Error::none;
}

void Netfront::removed() {
    klog("netfront: %s removed from xenstore: link down", name_);
    glue_.link_down();
}

// ---- grants and rings (the handshake calls, serialised by the caller) ----

Error Netfront::grant_all(domid_t backend) {
    auto grant = [&](Page& p, bool readonly) -> Error {
        auto ref = gt::grant_access(backend, xen::p2m().mfn(p.pfn), readonly);
        if (ref.is_error()) return ref.error();
        p.gref = ref.value();
        p.granted = true;
        return Error::none;
    };
    TRY(grant(tx_ring_page_, false));
    TRY(grant(rx_ring_page_, false));
    for (Page& p : tx_buffers_) TRY(grant(p, true));
    for (Page& p : rx_buffers_) TRY(grant(p, false));
    return Error::none;
}

// revoke_in_table: the entries are ours to clear (same domain; or a new
// domain, whose table is empty, so clearing only frees the refs).
void Netfront::release_grants(bool revoke_in_table) {
    unsigned busy = 0;
    auto release = [&](Page& p) {
        if (!p.granted) return;
        Error e = revoke_in_table ? gt::revoke_access(p.gref) : Error::none;
        if (e == Error::busy) ++busy;  // still mapped by the backend: leaked, never reused
        p.granted = false;
    };
    release(tx_ring_page_);
    release(rx_ring_page_);
    for (Page& p : tx_buffers_) release(p);
    for (Page& p : rx_buffers_) release(p);
    if (busy > 0) klog("netfront: %s: %u pages still mapped by the backend; their grants leak", name_, busy);
}

Error Netfront::setup_rings(domid_t backend_id) {
    Lock guard(ring_lock_);
    if (broken_) return Error::protocol_error;
    backend_id_ = backend_id;
    if (rings_ready_) return Error::none;
    memset(tx_ring_page_.data, 0, 4096);
    memset(rx_ring_page_.data, 0, 4096);
    if (Error e = grant_all(backend_id); e != Error::none) {
        klog("netfront: %s: cannot grant pages to domain %u: %s", name_, backend_id, error_name(e));
        release_grants(true);
        return e;
    }
    auto port = events::alloc_unbound(backend_id, on_event, this);
    if (port.is_error()) {
        klog("netfront: %s: no event channel to domain %u: %s", name_, backend_id,
             error_name(port.error()));
        release_grants(true);
        return port.error();
    }
    port_ = port.value();
    tx_.attach(reinterpret_cast<netif_tx_sring*>(tx_ring_page_.data));
    rx_.attach(reinterpret_cast<netif_rx_sring*>(rx_ring_page_.data));
    refill_rx();
    (void)rx_.push();  // the backend reads them once connected
    rings_ready_ = true;
    return Error::none;
}

RingKeys Netfront::ring_keys() const {
    return RingKeys{tx_ring_page_.gref, rx_ring_page_.gref, port_.port};
}

AddressChoice Netfront::choose_addresses(const char* backend_ip, size_t length) {
    AddressChoice choice{AddressChoice::Source::dhcp, {}, 0};
    if (backend_ip != nullptr) {
        if (parse_first_cidr(backend_ip, length, kDefaultPrefix, &choice.cidr)) {
            choice.source = AddressChoice::Source::backend;
            AddressChoice option;
            if (address_from_boot_options(&option)) choice.gateway = option.gateway;
            return choice;
        }
        klog("netfront: %s: ignoring the backend's ip \"%.*s\" (not an IPv4 address)", name_,
             int(length > 40 ? 40 : length), backend_ip);
    }
    if (address_from_boot_options(&choice)) return choice;
    return AddressChoice{AddressChoice::Source::dhcp, {}, 0};
}

Error Netfront::connect(const char* backend_ip, size_t length) {
    AddressChoice choice = choose_addresses(backend_ip, length);
    unsigned resent = 0;
    {
        Lock guard(ring_lock_);
        if (broken_ || !rings_ready_) return Error::protocol_error;
        connected_ = true;
        resent = resend_count_;
        resend_count_ = 0;
        flush_waiting_tx();
        refill_rx();
        kick(rx_.push());
    }
    wakeup_.signal();
    glue_.link_up(choice);
    if (resumed_pending_) {
        resumed_pending_ = false;
        unsigned told = glue_.announce_after_resume();
        klog("netfront: %s resumed in a new domain: reconnected to backend domain %u, re-sent %u "
             "tx frame(s) left unanswered, gratuitous ARP sent, %u TCP peer(s) nudged",
             name_, backend_id_, resent, told);
    } else {
        klog("netfront: %s connected to backend domain %u (event channel %u)", name_, backend_id_,
             port_.port);
    }
    return Error::none;
}

// Both rings' unanswered work comes back to the driver: tx frames to the front
// of the waiting queue (they are older than anything waiting), rx pages free.
static void take_back(TxRing& tx, RxRing& rx, uint16_t* waiting, unsigned& head, unsigned& count,
                      unsigned capacity, uint16_t* rx_free, unsigned& rx_free_count,
                      unsigned* taken) {
    uint16_t kept[Netfront::kTxBuffers];
    unsigned n = 0;
    tx.take_unanswered([&](const TxPacket& p) {
        if (n < Netfront::kTxBuffers) kept[n++] = uint16_t(p.cookie);
    });
    for (unsigned i = n; i-- > 0;) {
        head = (head + capacity - 1) % capacity;
        waiting[head] = kept[i];
        ++count;
    }
    rx.take_posted([&](const RxBuffer& b) { rx_free[rx_free_count++] = uint16_t(b.cookie); });
    *taken = n;
}

void Netfront::disconnect() {
    {
        Lock guard(ring_lock_);
        connected_ = false;
        if (rings_ready_) {
            unsigned taken = 0;
            take_back(tx_, rx_, tx_waiting_, tx_waiting_head_, tx_waiting_count_, kTxBuffers,
                      rx_free_, rx_free_count_, &taken);
            tx_.detach();
            rx_.detach();
            (void)events::unbind(port_);
            port_ = {};
            release_grants(true);
            rings_ready_ = false;
        }
    }
    glue_.link_down();
    klog("netfront: %s disconnected from backend domain %u", name_, backend_id_);
}

void Netfront::forget_rings() {
    Lock guard(ring_lock_);
    connected_ = false;
    if (!rings_ready_) return;
    unsigned taken = 0;
    take_back(tx_, rx_, tx_waiting_, tx_waiting_head_, tx_waiting_count_, kTxBuffers, rx_free_,
              rx_free_count_, &taken);
    resend_count_ += taken;
    tx_.detach();
    rx_.detach();
    port_ = {};  // the old domain's port: gone with it, nothing to close
    release_grants(true);  // the new table is empty: this only frees our refs
    rings_ready_ = false;
    resumed_pending_ = true;
}

// ---- the data path ----

void Netfront::on_event(uint32_t, void* context) { static_cast<Netfront*>(context)->wakeup_.signal(); }

void Netfront::kick(bool needed) {
    if (needed && !port_.is_null()) (void)events::notify(port_);
}

void Netfront::refill_rx() {
    while (rx_free_count_ > 0 && rx_.free_slots() > 0) {
        uint16_t i = rx_free_[rx_free_count_ - 1];
        if (rx_.post(RxBuffer{rx_buffers_[i].gref, i}) != Error::none) break;
        --rx_free_count_;
    }
}

void Netfront::flush_waiting_tx() {
    while (tx_waiting_count_ > 0 && tx_.free_slots() > 0) {
        uint16_t i = tx_waiting_[tx_waiting_head_];
        Error e = tx_.post(TxPacket{tx_buffers_[i].gref, 0, tx_length_[i], i});
        if (e != Error::none) break;
        tx_waiting_head_ = (tx_waiting_head_ + 1) % kTxBuffers;
        --tx_waiting_count_;
    }
    kick(tx_.push());
}

void Netfront::serve_rings() {
    rx_.consume([&](const RxCompletion& c) {
        uint16_t i = uint16_t(c.cookie);
        if (c.length > 0 && glue_.input(rx_buffers_[i].data + c.offset, c.length))
            ++rx_frames_;
        else
            ++rx_dropped_;
        rx_free_[rx_free_count_++] = i;
    });
    tx_.consume([&](const TxCompletion& c) {
        if (c.status != NETIF_RSP_OKAY) ++tx_dropped_;
        tx_free_[tx_free_count_++] = uint16_t(c.cookie);
    });
    if (tx_.is_broken() || rx_.is_broken()) {
        broken_ = true;  // the ring logged why
        connected_ = false;
        return;
    }
    refill_rx();
    kick(rx_.push());
    flush_waiting_tx();
}

void Netfront::run_thread(void* context) {
    auto* self = static_cast<Netfront*>(context);
    for (;;) {
        (void)self->wakeup_.wait(clock::monotonic_ns() + kPollNs);
        Lock guard(self->ring_lock_);
        if (self->connected_ && !self->broken_) self->serve_rings();
    }
}

err_t Netfront::transmit_frame(void* context, struct pbuf* frame) {
    return static_cast<Netfront*>(context)->transmit(frame);
}

err_t Netfront::transmit(struct pbuf* frame) {
    Lock guard(ring_lock_);
    if (broken_) return ERR_IF;
    if (frame->tot_len == 0 || frame->tot_len > 4096) return ERR_ARG;
    if (tx_free_count_ == 0) {
        ++tx_dropped_;
        return ERR_MEM;  // every buffer waits for the backend; TCP resends later
    }
    uint16_t i = tx_free_[--tx_free_count_];
    tx_length_[i] = pbuf_copy_partial(frame, tx_buffers_[i].data, frame->tot_len, 0);
    tx_waiting_[(tx_waiting_head_ + tx_waiting_count_) % kTxBuffers] = i;
    ++tx_waiting_count_;
    ++tx_frames_;
    // Disconnected (a suspend, a reconnect): the frame waits for the new ring.
    if (connected_) flush_waiting_tx();
    return ERR_OK;
}

}  // namespace torpor::netfront
