// Errors as values: every fallible kernel call returns Error or ErrorOr<T>.
// Freestanding and header-only so host tests use the very same type.
#pragma once
#include <new>
#include <utility>

namespace torpor {

enum class Error : int {
    none = 0,
    out_of_memory,
    invalid_argument,
    not_found,          // ENOENT from xenstore, unknown key
    permission_denied,  // EACCES/EPERM
    already_exists,     // EEXIST
    busy,               // EBUSY
    try_again,          // EAGAIN (e.g. a xenstore transaction conflict)
    timed_out,
    stale_handle,       // a handle whose generation no longer matches
    protocol_error,     // a peer broke a protocol (bad ring index, malformed reply)
    too_big,            // a reply or request that does not fit the protocol's limits
    hypercall_failed,
    remote_error,       // an error string from a peer that we do not map
    not_supported,
    io_error,           // a device reported that a request failed (EIO)
};

const char* error_name(Error e);

template <typename T>
class [[nodiscard]] ErrorOr {
public:
    ErrorOr(const T& value) : error_(Error::none) { new (&storage_) T(value); }
    ErrorOr(T&& value) : error_(Error::none) { new (&storage_) T(std::move(value)); }
    ErrorOr(Error error) : error_(error) {}
    ErrorOr(const ErrorOr& other) : error_(other.error_) {
        if (!error_is_set()) new (&storage_) T(other.value());
    }
    ErrorOr(ErrorOr&& other) : error_(other.error_) {
        if (!error_is_set()) new (&storage_) T(std::move(other.value()));
    }
    ErrorOr& operator=(const ErrorOr& other) {
        if (this != &other) {
            this->~ErrorOr();
            new (this) ErrorOr(other);
        }
        return *this;
    }
    ErrorOr& operator=(ErrorOr&& other) {
        if (this != &other) {
            this->~ErrorOr();
            new (this) ErrorOr(std::move(other));
        }
        return *this;
    }
    ~ErrorOr() {
        if (!error_is_set()) value().~T();
    }

    bool is_error() const { return error_is_set(); }
    explicit operator bool() const { return !error_is_set(); }
    Error error() const { return error_; }
    T& value() { return *reinterpret_cast<T*>(&storage_); }
    const T& value() const { return *reinterpret_cast<const T*>(&storage_); }
    T release_value() { return std::move(value()); }

private:
    bool error_is_set() const { return error_ != Error::none; }
    Error error_;
    alignas(T) unsigned char storage_[sizeof(T)];
};

inline const char* error_name(Error e) {
    switch (e) {
        case Error::none: return "none";
        case Error::out_of_memory: return "out of memory";
        case Error::invalid_argument: return "invalid argument";
        case Error::not_found: return "not found";
        case Error::permission_denied: return "permission denied";
        case Error::already_exists: return "already exists";
        case Error::busy: return "busy";
        case Error::try_again: return "try again";
        case Error::timed_out: return "timed out";
        case Error::stale_handle: return "stale handle";
        case Error::protocol_error: return "protocol error";
        case Error::too_big: return "too big";
        case Error::hypercall_failed: return "hypercall failed";
        case Error::remote_error: return "remote error";
        case Error::not_supported: return "not supported";
        case Error::io_error: return "I/O error";
    }
    return "unknown error";
}

// What TRY needs to know about Error and ErrorOr<T>.
namespace try_detail {
inline bool failed(Error e) { return e != Error::none; }
inline Error error_of(Error e) { return e; }
inline void value_of(Error) {}
template <typename T>
bool failed(const ErrorOr<T>& r) { return r.is_error(); }
template <typename T>
Error error_of(const ErrorOr<T>& r) { return r.error(); }
template <typename T>
T value_of(ErrorOr<T>& r) { return r.release_value(); }
}  // namespace try_detail

}  // namespace torpor

// TRY(expr): evaluates `expr` (an Error or an ErrorOr<T>) once; on an error,
// returns that Error from the enclosing function (which returns Error or any
// ErrorOr<U>); otherwise the whole TRY is the value (T, moved out; nothing for
// a plain Error). A GNU statement expression, as g++ and clang both accept:
//     auto frame = TRY(memory::allocate_frames(4));
//     TRY(xenstore::write(path, value));
#define TRY(expr)                                                              \
    ({                                                                         \
        auto&& torpor_try_result_ = (expr);                                    \
        if (::torpor::try_detail::failed(torpor_try_result_))                  \
            return ::torpor::try_detail::error_of(torpor_try_result_);         \
        ::torpor::try_detail::value_of(torpor_try_result_);                    \
    })
