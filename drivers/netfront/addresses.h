// Parsing what the toolstack and the command line say about a vif's addresses,
// as pure functions (host-tested): nothing from xenstore or `extra` is trusted.
//   MAC:   `<dev>/mac`, six two-digit hex bytes separated by ':' ("00:16:3e:77:00:03").
//   IPv4:  dotted quad, each part 0..255, no leading '+'/'-', nothing after it.
//   CIDR:  ADDR[/PREFIX] (PREFIX 0..32; `default_prefix` when absent), the form of
//          the guest option `ip=` and of the backend's `ip` key (libxl writes the
//          vif's `ip=` there; only its first blank-separated word is used).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace torpor::netfront {

struct MacAddress {
    uint8_t bytes[6];
};

struct Ipv4Cidr {
    uint32_t address;  // host order: 10.77.0.3 is 0x0a4d0003
    uint8_t prefix;
};

// `length` bytes of `text` (not necessarily terminated). False when malformed.
bool parse_mac(const char* text, size_t length, MacAddress* out);
bool parse_ipv4(const char* text, size_t length, uint32_t* out);
bool parse_cidr(const char* text, size_t length, uint8_t default_prefix, Ipv4Cidr* out);
// The first blank-separated word of `text` parsed as a CIDR.
bool parse_first_cidr(const char* text, size_t length, uint8_t default_prefix, Ipv4Cidr* out);

// The netmask of a prefix length, host order (24 -> 0xffffff00).
uint32_t netmask_of(uint8_t prefix);

}  // namespace torpor::netfront
