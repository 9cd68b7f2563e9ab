#include "drivers/netfront/netif_glue.h"

#include <lwip/dhcp.h>
#include <lwip/etharp.h>
#include <lwip/netifapi.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>
#include <lwip/tcpip.h>
#include <netif/ethernet.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "kernel/boot_options.h"

namespace torpor::netfront {
namespace {

constexpr uint16_t kMtu = 1500;
constexpr uint8_t kDefaultPrefix = 24;
// Three identical pure ACKs are what a peer counts as duplicate ACKs for fast
// retransmit (RFC 5681, 3.2): what it sent while we were away is resent at
// once instead of after its backed-off retransmission timeout.
constexpr unsigned kNudgeAcks = 3;

ip4_addr_t ip4_of(uint32_t host_order) {
    ip4_addr_t a;
    ip4_addr_set_u32(&a, lwip_htonl(host_order));
    return a;
}

void format_ip(uint32_t a, char* out, size_t size) {
    snprintf(out, size, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

const char* source_name(AddressChoice::Source s) {
    switch (s) {
        case AddressChoice::Source::backend: return "backend ip key";
        case AddressChoice::Source::boot_option: return "ip= option";
        case AddressChoice::Source::dhcp: return "dhcp";
    }
    return "?";
}

}  // namespace

bool address_from_boot_options(AddressChoice* out) {
    const char* line = boot_options::command_line();
    if (line == nullptr) return false;
    auto ip = boot_options::find(line, "ip");
    if (!ip.found) return false;
    AddressChoice choice{AddressChoice::Source::boot_option, {}, 0};
    if (!parse_cidr(ip.text, ip.length, kDefaultPrefix, &choice.cidr)) {
        klog("net: ignoring the malformed option ip=%.*s (want ADDR/PREFIX); using DHCP",
             int(ip.length), ip.text);
        return false;
    }
    auto gw = boot_options::find(line, "gw");
    if (gw.found && !parse_ipv4(gw.text, gw.length, &choice.gateway)) {
        klog("net: ignoring the malformed option gw=%.*s", int(gw.length), gw.text);
        choice.gateway = 0;
    }
    *out = choice;
    return true;
}

err_t NetifGlue::init_netif(struct netif* netif) {
    auto* self = static_cast<NetifGlue*>(netif->state);
    netif->name[0] = 'e';
    netif->name[1] = 'n';
    netif->output = etharp_output;
    netif->linkoutput = link_output;
    netif->mtu = kMtu;
    netif->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(netif->hwaddr, self->mac_.bytes, ETH_HWADDR_LEN);
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    netif_set_status_callback(netif, status_changed);  // here: under the core lock
    return ERR_OK;
}

err_t NetifGlue::link_output(struct netif* netif, struct pbuf* p) {
    auto* self = static_cast<NetifGlue*>(netif->state);
    return self->transmit_(self->context_, p);
}

void NetifGlue::status_changed(struct netif* netif) {
    // lwIP calls this on every address change and on every netif_set_up:
    // one line per address the interface comes up with.
    auto* self = static_cast<NetifGlue*>(netif->state);
    uint32_t ip = ip4_addr_get_u32(netif_ip4_addr(netif));
    if (!netif_is_up(netif) || ip == 0 || ip == self->reported_ip_) return;
    self->reported_ip_ = ip;
    self->report_address();
}

Error NetifGlue::add(const char* name, const MacAddress& mac, Transmit transmit, void* context) {
    name_ = name;
    mac_ = mac;
    transmit_ = transmit;
    context_ = context;
    err_t e = netifapi_netif_add(&netif_, nullptr, nullptr, nullptr, this, init_netif, tcpip_input);
    if (e != ERR_OK) {
        klog("net: %s: lwIP refused the interface (err %d)", name_, int(e));
        return Error::out_of_memory;
    }
    added_ = true;
    return Error::none;
}

void NetifGlue::report_address() {
    const uint8_t* m = mac_.bytes;
    char ip[16], mask[16], gw[16];
    format_ip(lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(&netif_))), ip, sizeof(ip));
    format_ip(lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(&netif_))), mask, sizeof(mask));
    format_ip(lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(&netif_))), gw, sizeof(gw));
    klog("net: %s up mac=%02x:%02x:%02x:%02x:%02x:%02x ip=%s netmask=%s gw=%s (%s)", name_, m[0],
         m[1], m[2], m[3], m[4], m[5], ip, mask, gw, source_name(choice_.source));
}

void NetifGlue::link_up(const AddressChoice& choice) {
    if (!added_) return;
    LOCK_TCPIP_CORE();
    bool first = !configured_;
    if (first) {
        choice_ = choice;
        configured_ = true;
        if (choice.source != AddressChoice::Source::dhcp) {
            ip4_addr_t ip = ip4_of(choice.cidr.address), mask = ip4_of(netmask_of(choice.cidr.prefix)),
                       gw = ip4_of(choice.gateway);
            netif_set_addr(&netif_, &ip, &mask, &gw);
        }
        if (netif_default == nullptr) netif_set_default(&netif_);
    }
    netif_set_up(&netif_);
    netif_set_link_up(&netif_);
    if (first && choice.source == AddressChoice::Source::dhcp) {
        klog("net: %s: no ip from the backend or the command line: asking DHCP", name_);
        (void)dhcp_start(&netif_);
    }
    UNLOCK_TCPIP_CORE();
}

void NetifGlue::set_mac(const MacAddress& mac) {
    if (!added_) return;
    LOCK_TCPIP_CORE();
    mac_ = mac;
    memcpy(netif_.hwaddr, mac.bytes, ETH_HWADDR_LEN);
    UNLOCK_TCPIP_CORE();
}

void NetifGlue::link_down() {
    if (!added_) return;
    LOCK_TCPIP_CORE();
    netif_set_link_down(&netif_);
    UNLOCK_TCPIP_CORE();
}

bool NetifGlue::input(const uint8_t* frame, size_t length) {
    if (!added_ || length == 0 || length > 0xffff) return false;
    struct pbuf* p = pbuf_alloc(PBUF_RAW, uint16_t(length), PBUF_POOL);
    if (p == nullptr) return false;
    if (pbuf_take(p, frame, uint16_t(length)) != ERR_OK || netif_.input(p, &netif_) != ERR_OK) {
        pbuf_free(p);
        return false;
    }
    return true;
}

unsigned NetifGlue::announce_after_resume() {
    if (!added_) return 0;
    unsigned told = 0;
    LOCK_TCPIP_CORE();
    if (netif_is_up(&netif_) && !ip4_addr_isany_val(*netif_ip4_addr(&netif_)))
        (void)etharp_gratuitous(&netif_);
    for (struct tcp_pcb* pcb = tcp_active_pcbs; pcb != nullptr; pcb = pcb->next) {
        if (pcb->state != ESTABLISHED && pcb->state != CLOSE_WAIT) continue;
        for (unsigned i = 0; i < kNudgeAcks; ++i) {
            tcp_ack_now(pcb);
            (void)tcp_output(pcb);
        }
        ++told;
    }
    UNLOCK_TCPIP_CORE();
    return told;
}

}  // namespace torpor::netfront
