// An owned, NUL-terminated byte string on the C heap (no libstdc++ in the kernel).
#pragma once
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

namespace torpor {

class String {
public:
    String() = default;
    static ErrorOr<String> copy_of(const char* data, size_t length) {
        char* p = static_cast<char*>(malloc(length + 1));
        if (!p) return Error::out_of_memory;
        if (length) memcpy(p, data, length);
        p[length] = '\0';
        return String(p, length);
    }
    static ErrorOr<String> copy_of(const char* cstr) { return copy_of(cstr, strlen(cstr)); }

    String(String&& other) : data_(other.data_), length_(other.length_) {
        other.data_ = nullptr;
        other.length_ = 0;
    }
    String& operator=(String&& other) {
        if (this != &other) {
            free(data_);
            data_ = other.data_;
            length_ = other.length_;
            other.data_ = nullptr;
            other.length_ = 0;
        }
        return *this;
    }
    String(const String&) = delete;
    String& operator=(const String&) = delete;
    ~String() { free(data_); }

    const char* c_str() const { return data_ ? data_ : ""; }
    size_t length() const { return length_; }
    bool is_empty() const { return length_ == 0; }
    bool equals(const char* other) const {
        return strlen(other) == length_ && memcmp(c_str(), other, length_) == 0;
    }

private:
    String(char* data, size_t length) : data_(data), length_(length) {}
    char* data_ = nullptr;
    size_t length_ = 0;
};

}  // namespace torpor
