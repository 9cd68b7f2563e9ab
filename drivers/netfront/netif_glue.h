// One netfront's lwIP network interface: the netif, its address configuration
// and what happens to it around a resume. The driver (netfront.cpp) hands it
// received frames and gets lwIP's outgoing frames through `Transmit`.
//
// Addresses, first found wins (issue 11): the backend's `ip` key (the vif's
// `ip=` in the domain config), the guest option `ip=ADDR/PREFIX` with optional
// `gw=ADDR` in `extra`, else lwIP's DHCP client.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <lwip/netif.h>

#include "base/error.h"
#include "drivers/netfront/addresses.h"

namespace torpor::netfront {

struct AddressChoice {
    enum class Source : uint8_t { backend, boot_option, dhcp } source;
    Ipv4Cidr cidr;     // unused for dhcp
    uint32_t gateway;  // host order, 0 = none
};

class NetifGlue {
public:
    // Returns ERR_OK or an lwIP error; the glue owns the pbuf only for the call.
    using Transmit = err_t (*)(void* context, struct pbuf* frame);

    // Adds the netif to lwIP (the stack must be running), link down, no address.
    Error add(const char* name, const MacAddress& mac, Transmit transmit, void* context);
    // The interface's hardware address from now on (a vif re-attached with
    // another MAC; called while the link is down).
    void set_mac(const MacAddress& mac);
    // Link up with `choice` (the first time; later calls keep the configuration).
    void link_up(const AddressChoice& choice);
    void link_down();
    // A received Ethernet frame, copied into a pool pbuf and handed to lwIP.
    // False when lwIP had no pbuf or its mailbox was full (the frame is dropped).
    bool input(const uint8_t* frame, size_t length);
    // After a resume into a new domain: a gratuitous ARP for our address, then
    // an ACK to every established TCP peer so it retransmits at once. Returns
    // how many peers were told.
    unsigned announce_after_resume();
    bool is_added() const { return added_; }
    const char* name() const { return name_; }
    // Prints the `net: <name> up mac=.. ip=..` line once an address is bound.
    void report_address();

private:
    static err_t init_netif(struct netif* netif);
    static err_t link_output(struct netif* netif, struct pbuf* p);
    static void status_changed(struct netif* netif);

    struct netif netif_ = {};
    const char* name_ = "";
    MacAddress mac_ = {};
    Transmit transmit_ = nullptr;
    void* context_ = nullptr;
    bool added_ = false;
    bool configured_ = false;
    uint32_t reported_ip_ = 0;  // the address last logged (network order), 0: none
    AddressChoice choice_ = {};
};

// The guest option `ip=ADDR[/PREFIX]` (and `gw=ADDR`) from `extra`, if valid.
// A malformed option is logged once and ignored (DHCP then).
bool address_from_boot_options(AddressChoice* out);

}  // namespace torpor::netfront
