// libFuzzer target: the netfront's tx and rx rings (drivers/netfront) driven
// by a backend that writes whatever the input says into the shared pages:
// response ids, statuses, offsets, flags and producer indices. A model of what
// was posted checks every completion the rings hand out:
//   * only outstanding packets/buffers complete, each once;
//   * a received frame lies within its page;
//   * nothing completes once a ring is broken;
//   * outstanding counts match the model; after a reconnect the unanswered
//     tx packets come back exactly, oldest first.
// AddressSanitizer catches any read or write outside the pages or tables.
//
// Input: a sequence of operations, one byte each (op = byte % 9) followed by
// the bytes that op reads (zero where the input is short); see run() below.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <map>
#include <vector>

#include "drivers/netfront/rx_ring.h"
#include "drivers/netfront/tx_ring.h"

using namespace torpor;
using namespace torpor::netfront;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            abort();                                                                  \
        }                                                                             \
    } while (0)

namespace {

struct Input {
    const uint8_t* data;
    size_t size;
    size_t at = 0;
    bool done() const { return at >= size; }
    uint8_t u8() { return at < size ? data[at++] : 0; }
    uint16_t u16() { return uint16_t(u8() | (u8() << 8)); }
    uint32_t u32() { return uint32_t(u16() | (uint32_t(u16()) << 16)); }
};

struct Page {
    Page() : p(aligned_alloc(kPageSize, kPageSize)) { memset(p, 0, kPageSize); }
    ~Page() { free(p); }
    void* p;
};

struct World {
    Page tx_page, rx_page;
    TxRing tx{"fuzz tx"};
    RxRing rx{"fuzz rx"};
    uint32_t tx_rsp_pvt = 0, rx_rsp_pvt = 0;  // the backend's next response slots
    uint64_t next_cookie = 1;
    std::map<uint64_t, uint16_t> tx_model;  // outstanding cookie -> size
    std::map<uint64_t, bool> rx_model;      // posted buffer cookies

    netif_tx_sring* txs() { return static_cast<netif_tx_sring*>(tx_page.p); }
    netif_rx_sring* rxs() { return static_cast<netif_rx_sring*>(rx_page.p); }

    void consume_tx() {
        bool was_broken = tx.is_broken();
        tx.consume([&](const TxCompletion& c) {
            CHECK(!was_broken);
            CHECK(tx_model.erase(c.cookie) == 1);
            CHECK(c.status == NETIF_RSP_OKAY || c.status == NETIF_RSP_ERROR ||
                  c.status == NETIF_RSP_DROPPED);
        });
        CHECK(tx.outstanding() == tx_model.size());
    }
    void consume_rx() {
        bool was_broken = rx.is_broken();
        rx.consume([&](const RxCompletion& c) {
            CHECK(!was_broken);
            CHECK(rx_model.erase(c.cookie) == 1);
            CHECK(uint32_t(c.offset) + c.length <= kPageSize);
            CHECK(c.length == 0 || c.status == int16_t(c.length));
        });
        CHECK(rx.posted() == rx_model.size());
    }
    // A resume into a new domain: keep what is unanswered, new pages.
    void reconnect() {
        tx.detach();
        uint64_t last = 0;
        size_t kept = 0;
        tx.take_unanswered([&](const TxPacket& p) {
            CHECK(p.cookie > last);  // oldest first (cookies grow with posting order)
            last = p.cookie;
            CHECK(tx_model.count(p.cookie) == 1 && tx_model[p.cookie] == p.size);
            ++kept;
        });
        CHECK(kept == tx_model.size());
        rx.detach();
        size_t buffers = 0;
        rx.take_posted([&](const RxBuffer& b) {
            CHECK(rx_model.count(b.cookie) == 1);
            ++buffers;
        });
        CHECK(buffers == rx_model.size());
        tx_model.clear();
        rx_model.clear();
        tx.attach(txs());
        rx.attach(rxs());
        tx_rsp_pvt = rx_rsp_pvt = 0;
        CHECK(!tx.is_broken() && !rx.is_broken());
    }
};

void run(Input& in) {
    World w;
    w.tx.attach(w.txs());
    w.rx.attach(w.rxs());
    while (!in.done()) {
        switch (in.u8() % 9) {
            case 0: {  // post up to 8 frames
                unsigned n = in.u8() % 9;
                for (unsigned i = 0; i < n; ++i) {
                    uint16_t size = in.u16(), offset = in.u16() % 4200;
                    uint64_t cookie = w.next_cookie++;
                    Error e = w.tx.post(TxPacket{7, offset, size, cookie});
                    if (e == Error::none) w.tx_model[cookie] = size;
                    if (e == Error::invalid_argument)
                        CHECK(size == 0 || uint32_t(offset) + size > kPageSize);
                }
                break;
            }
            case 1: {  // post up to 8 buffers
                unsigned n = in.u8() % 9;
                for (unsigned i = 0; i < n; ++i) {
                    uint64_t cookie = w.next_cookie++;
                    if (w.rx.post(RxBuffer{9, cookie}) == Error::none) w.rx_model[cookie] = true;
                }
                break;
            }
            case 2:
                (void)w.tx.push();
                (void)w.rx.push();
                break;
            case 3: {  // a tx response, written where the backend's producer is
                auto& r = w.txs()->ring[w.tx_rsp_pvt++ % kTxRingSize].rsp;
                r.id = in.u16();
                r.status = int16_t(in.u16());
                break;
            }
            case 4: {  // an rx response
                auto& r = w.rxs()->ring[w.rx_rsp_pvt++ % kRxRingSize].rsp;
                r.id = in.u16();
                r.offset = in.u16();
                r.flags = in.u16();
                r.status = int16_t(in.u16());
                break;
            }
            case 5:  // publish the tx producer honestly, or anything at all
                w.txs()->rsp_prod = in.u8() & 1 ? w.tx_rsp_pvt : in.u32();
                break;
            case 6:
                w.rxs()->rsp_prod = in.u8() & 1 ? w.rx_rsp_pvt : in.u32();
                break;
            case 7:
                w.consume_tx();
                w.consume_rx();
                break;
            case 8:
                w.reconnect();
                break;
        }
    }
    w.consume_tx();
    w.consume_rx();
    w.reconnect();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Input in{data, size};
    run(in);
    return 0;
}
