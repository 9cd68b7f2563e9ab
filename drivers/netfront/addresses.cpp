#include "drivers/netfront/addresses.h"

namespace torpor::netfront {
namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// A decimal number of 1..3 digits at text[*at], at most `max`.
bool parse_decimal(const char* text, size_t length, size_t* at, uint32_t max, uint32_t* out) {
    uint32_t value = 0;
    size_t digits = 0;
    while (*at < length && text[*at] >= '0' && text[*at] <= '9') {
        if (++digits > 3) return false;
        value = value * 10 + uint32_t(text[*at] - '0');
        ++*at;
    }
    if (digits == 0 || value > max) return false;
    *out = value;
    return true;
}

}  // namespace

bool parse_mac(const char* text, size_t length, MacAddress* out) {
    if (length != 17) return false;
    MacAddress mac{};
    for (size_t i = 0; i < 6; ++i) {
        int hi = hex_digit(text[3 * i]), lo = hex_digit(text[3 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        if (i < 5 && text[3 * i + 2] != ':') return false;
        mac.bytes[i] = uint8_t(hi << 4 | lo);
    }
    *out = mac;
    return true;
}

bool parse_ipv4(const char* text, size_t length, uint32_t* out) {
    uint32_t address = 0;
    size_t at = 0;
    for (int part = 0; part < 4; ++part) {
        if (part > 0) {
            if (at >= length || text[at] != '.') return false;
            ++at;
        }
        uint32_t value;
        if (!parse_decimal(text, length, &at, 255, &value)) return false;
        address = address << 8 | value;
    }
    if (at != length) return false;
    *out = address;
    return true;
}

bool parse_cidr(const char* text, size_t length, uint8_t default_prefix, Ipv4Cidr* out) {
    size_t slash = 0;
    while (slash < length && text[slash] != '/') ++slash;
    uint32_t address;
    if (!parse_ipv4(text, slash, &address)) return false;
    uint32_t prefix = default_prefix;
    if (slash < length) {
        size_t at = slash + 1;
        if (!parse_decimal(text, length, &at, 32, &prefix) || at != length) return false;
    }
    *out = Ipv4Cidr{address, uint8_t(prefix)};
    return true;
}

bool parse_first_cidr(const char* text, size_t length, uint8_t default_prefix, Ipv4Cidr* out) {
    size_t start = 0;
    while (start < length && (text[start] == ' ' || text[start] == '\t')) ++start;
    size_t end = start;
    while (end < length && text[end] != ' ' && text[end] != '\t') ++end;
    return parse_cidr(text + start, end - start, default_prefix, out);
}

uint32_t netmask_of(uint8_t prefix) {
    if (prefix == 0) return 0;
    if (prefix >= 32) return 0xffffffffu;
    return ~((1u << (32 - prefix)) - 1);
}

}  // namespace torpor::netfront
