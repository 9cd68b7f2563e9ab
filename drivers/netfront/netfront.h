// The netfront device driver (xen/io/netif.h): one vif, one queue,
// request-rx-copy, single-slot frames. main/vif_device.cpp runs the xenbus
// handshake with it as the Device; it keeps rx buffers posted, hands
// received frames to its lwIP netif (netif_glue.h) and puts lwIP's frames on the
// tx ring through grant references.
//
// Buffers are the driver's own pages, granted once per connection: kTxBuffers
// read-only for tx, kRxBuffers writable for rx. A tx frame that finds the ring
// disconnected (a suspend, a reconnect in progress) waits in a free buffer; tx
// requests the backend never answered are taken back at a resume into a new
// domain and sent again, in order, on the new ring before anything newer.
//
// Threads: the handshake calls are serialised by the caller (xenstore
// watch thread, the resume hook, the composition root); the rings by
// ring_lock_ (the driver's own thread, which the event channel wakes, and
// lwIP's tcpip thread transmitting).
#pragma once
#include <stdint.h>

#include "base/error.h"
#include "drivers/netfront/addresses.h"
#include "drivers/netfront/netif_glue.h"
#include "drivers/netfront/rx_ring.h"
#include "drivers/netfront/tx_ring.h"
#include "xen/abi.h"
#include "kernel/events/event_handle.h"
#include "kernel/sync/mutex.h"
#include "kernel/sync/semaphore.h"

namespace torpor::netfront {

// What the frontend publishes in `<dev>/`: see ring_keys() below.
struct RingKeys {
    grant_ref_t tx_ring_ref;
    grant_ref_t rx_ring_ref;
    uint32_t event_channel;
};

// The device side of the xenbus handshake (drivers/xenbus/device.h): the
// composition root adapts these calls to a xenbus::Device (drivers never
// include each other), and serialises them.
class Netfront {
public:
    static constexpr unsigned kTxBuffers = 128;
    static constexpr unsigned kRxBuffers = 128;

    // `name`: "vif<id>" (kept, not copied).
    explicit Netfront(const char* name);

    // `mac`: the text of `<dev>/mac`. Parses it, allocates the buffers and ring
    // pages, adds the netif, starts the driver thread. A MAC that does not
    // parse: one log line, the device broken (protocol_error).
    Error start(const char* mac, size_t mac_length);

    const char* name() const { return name_; }
    bool is_broken() const;
    // The device's directory went away (hot-unplug): link down, nothing more.
    void removed();

    // The handshake (drivers/xenbus/device.h), in its order.
    // Grants fresh rings and buffers to `backend_id`, allocates the port.
    Error setup_rings(domid_t backend_id);
    // tx-ring-ref, rx-ring-ref, event-channel for `<dev>/`; the caller also
    // writes request-rx-copy=1, feature-rx-notify=1, feature-no-csum-offload=1.
    RingKeys ring_keys() const;
    // Backend Connected. `backend_ip`: the backend's `ip` key (null if none).
    Error connect(const char* backend_ip, size_t length);
    // `<dev>/mac` as it is at this handshake: a vif re-attached with another
    // MAC (xl network-attach mac=...) gets it on the netif before the link
    // comes up (the link-up's gratuitous ARP then tells the bridge). A MAC
    // that does not parse: one log line, the device broken (protocol_error).
    Error update_mac(const char* mac, size_t mac_length);
    void disconnect();
    void forget_rings();

private:
    struct Page {
        unsigned long pfn = 0;
        uint8_t* data = nullptr;
        grant_ref_t gref = 0;
        bool granted = false;
    };

    static void on_event(uint32_t port, void* context);
    static void run_thread(void* context);
    static err_t transmit_frame(void* context, struct pbuf* frame);
    void serve_rings();  // one pass of the driver thread, ring_lock_ held
    err_t transmit(struct pbuf* frame);
    void flush_waiting_tx();  // ring_lock_ held
    void refill_rx();         // ring_lock_ held
    void kick(bool needed);
    Error grant_all(domid_t backend);
    void release_grants(bool revoke_in_table);
    void mark_broken(const char* why);
    AddressChoice choose_addresses(const char* backend_ip, size_t length);

    const char* name_;
    Mutex ring_lock_;
    Semaphore wakeup_;
    MacAddress mac_ = {};
    NetifGlue glue_;
    char tx_name_[24] = {};
    char rx_name_[24] = {};
    TxRing tx_;
    RxRing rx_;
    Page tx_ring_page_, rx_ring_page_;
    Page tx_buffers_[kTxBuffers];
    Page rx_buffers_[kRxBuffers];
    uint16_t tx_length_[kTxBuffers] = {};
    uint16_t tx_free_[kTxBuffers] = {};
    unsigned tx_free_count_ = 0;
    uint16_t tx_waiting_[kTxBuffers] = {};  // FIFO of buffers to post, oldest first
    unsigned tx_waiting_head_ = 0, tx_waiting_count_ = 0;
    uint16_t rx_free_[kRxBuffers] = {};
    unsigned rx_free_count_ = 0;
    EventHandle port_ = {};
    domid_t backend_id_ = 0;
    bool rings_ready_ = false;  // set up and granted for the current backend
    bool connected_ = false;
    bool broken_ = false;
    bool resumed_pending_ = false;  // a new domain: announce after the next connect
    unsigned resend_count_ = 0;     // tx frames taken back at the last resume
    unsigned long rx_frames_ = 0, tx_frames_ = 0, rx_dropped_ = 0, tx_dropped_ = 0;
};

}  // namespace torpor::netfront
