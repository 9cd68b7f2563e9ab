#include "apps/demo/net_selftest.h"

#include <inttypes.h>
#include <lwip/sockets.h>
#include <new>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/demo/net_servers.h"
#include "apps/demo/socket_io.h"
#include "kernel/sched/scheduler.h"
#include "kernel/time/clock.h"
#include "suspend/app_hooks.h"

namespace torpor::demo {

namespace {

constexpr unsigned kEchoConnections = 4;
constexpr unsigned kEchoRounds = 2;
constexpr size_t kMaxEchoMessage = 4096;
constexpr uint64_t kSocketTimeoutMs = 20'000;

struct Run {
    char label[40];
    char failure[160] = "";
    uint64_t echoed = 0;

    bool fail(const char* format, ...) __attribute__((format(printf, 2, 3)));
};

bool Run::fail(const char* format, ...) {
    if (failure[0]) return false;  // the first failure is the one reported
    va_list args;
    va_start(args, format);
    vsnprintf(failure, sizeof(failure), format, args);
    va_end(args);
    return false;
}

int connect_loopback(Run& run, uint16_t port) {
    int fd = lwip_socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        run.fail("no socket for port %u (errno %d)", port, errno);
        return -1;
    }
    struct sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = lwip_htons(port);
    address.sin_addr.s_addr = lwip_htonl(INADDR_LOOPBACK);
    if (!sockio::set_timeouts(fd, kSocketTimeoutMs, kSocketTimeoutMs) ||
        lwip_connect(fd, reinterpret_cast<struct sockaddr*>(&address), sizeof(address)) != 0) {
        run.fail("cannot connect to 127.0.0.1:%u (errno %d)", port, errno);
        lwip_close(fd);
        return -1;
    }
    return fd;
}

size_t echo_length(unsigned connection, unsigned round) { return 700 + connection * 900 + round * 50; }

uint8_t echo_byte(unsigned connection, unsigned round, size_t k) {
    return uint8_t(connection * 131 + round * 17 + k * 7 + (k >> 8));
}

// Every connection sends its message, then the answers are read in reverse
// order: the server must serve them all at once.
bool echo_round(Run& run, const int* fds, unsigned round) {
    static_assert(700 + (kEchoConnections - 1) * 900 + kEchoRounds * 50 <= kMaxEchoMessage);
    uint8_t message[kMaxEchoMessage];
    for (unsigned i = 0; i < kEchoConnections; ++i) {
        size_t length = echo_length(i, round);
        for (size_t k = 0; k < length; ++k) message[k] = echo_byte(i, round, k);
        if (!sockio::send_all(fds[i], message, length))
            return run.fail("echo connection %u round %u: send failed (errno %d)", i, round, errno);
    }
    for (unsigned i = kEchoConnections; i-- > 0;) {
        size_t length = echo_length(i, round);
        if (!sockio::receive_exactly(fds[i], message, length))
            return run.fail("echo connection %u round %u: %zu bytes not echoed (errno %d)", i,
                            round, length, errno);
        for (size_t k = 0; k < length; ++k)
            if (message[k] != echo_byte(i, round, k))
                return run.fail("echo connection %u round %u: byte %zu is %#x, sent %#x", i,
                                round, k, message[k], echo_byte(i, round, k));
        run.echoed += length;
    }
    return true;
}

struct HttpCase {
    const char* what;
    const char* request;  // null: kOversized bytes of 'A' with no line end
    size_t length;        // 0: strlen(request)
    int status;
    const char* body_has[2];
};

const char kBinary[] = "\x16\x03\x01\x02\x00\xff binary\r\n\r\n";

const HttpCase kHttpCases[] = {
    {"GET /", "GET / HTTP/1.0\r\nHost: torpor\r\nUser-Agent: self-test\r\n\r\n", 0, 200,
     {"uptime_ms: ", "suspends: "}},
    {"GET /missing", "GET /missing HTTP/1.0\r\n\r\n", 0, 404, {nullptr, nullptr}},
    // A TLS record header, a NUL and a byte above ASCII.
    {"binary", kBinary, sizeof(kBinary) - 1, 400, {nullptr, nullptr}},
    {"oversized", nullptr, 0, 400, {"too large", nullptr}},
};
constexpr unsigned kHttpConnections = sizeof(kHttpCases) / sizeof(kHttpCases[0]);
constexpr size_t kOversized = 1500;

// All requests go out on connections open at the same time; the responses
// are read in reverse order.
bool http_checks(Run& run) {
    int fds[kHttpConnections];
    unsigned opened = 0;
    bool ok = true;
    for (; opened < kHttpConnections; ++opened) {
        fds[opened] = connect_loopback(run, kHttpPort);
        if (fds[opened] < 0) {
            ok = false;
            break;
        }
    }
    char buffer[kOversized];
    for (unsigned i = 0; ok && i < opened; ++i) {
        const HttpCase& t = kHttpCases[i];
        const char* request = t.request;
        size_t length;
        if (request) {
            length = t.length ? t.length : strlen(request);
        } else {
            memset(buffer, 'A', sizeof(buffer));
            request = buffer;
            length = sizeof(buffer);
        }
        if (!sockio::send_all(fds[i], request, length))
            ok = run.fail("http %s: send failed (errno %d)", t.what, errno);
    }
    for (unsigned i = opened; ok && i-- > 0;) {
        const HttpCase& t = kHttpCases[i];
        char response[1024];
        size_t received = 0;
        if (!sockio::receive_until_closed(fds[i], response, sizeof(response) - 1, &received)) {
            ok = run.fail("http %s: no complete response (%zu bytes, errno %d)", t.what, received,
                          errno);
            break;
        }
        response[received] = '\0';
        char expected[24];
        snprintf(expected, sizeof(expected), "HTTP/1.0 %d ", t.status);
        if (strncmp(response, expected, strlen(expected)) != 0) {
            ok = run.fail("http %s: expected status %d, got \"%.20s\"", t.what, t.status, response);
            break;
        }
        const char* body = strstr(response, "\r\n\r\n");
        for (const char* needle : t.body_has)
            if (needle && (!body || !strstr(body, needle)))
                ok = run.fail("http %s: body lacks \"%s\"", t.what, needle);
    }
    for (unsigned i = 0; i < opened; ++i) lwip_close(fds[i]);
    return ok;
}

void self_test_thread(void* arg) {
    auto* run = static_cast<Run*>(arg);
    uint64_t start = clock::monotonic_ns();
    int fds[kEchoConnections];
    unsigned opened = 0;
    bool ok = true;
    for (; opened < kEchoConnections; ++opened) {
        fds[opened] = connect_loopback(*run, kEchoPort);
        if (fds[opened] < 0) {
            ok = false;
            break;
        }
    }
    // Echo, then HTTP while the echo connections stay open, then echo again.
    if (ok) ok = echo_round(*run, fds, 0);
    if (ok) ok = http_checks(*run);
    for (unsigned round = 1; ok && round < kEchoRounds; ++round) ok = echo_round(*run, fds, round);
    for (unsigned i = 0; i < opened; ++i) lwip_close(fds[i]);
    uint64_t ms = (clock::monotonic_ns() - start) / 1'000'000;
    if (ok)
        printf("net: self-test %s PASS: %u concurrent echo connections (%" PRIu64
               " bytes checked), http 200/404/400/400 on %u more, over loopback in %" PRIu64
               " ms\n",
               run->label, kEchoConnections, run->echoed, kHttpConnections, ms);
    else
        printf("net: self-test %s FAIL: %s (after %" PRIu64 " ms)\n", run->label, run->failure,
               ms);
    delete run;
}

void after_resume(const suspend::ResumeInfo& info, void*) {
    char label[40];
    snprintf(label, sizeof(label), "after resume #%u", info.suspend_number);
    start_net_self_test(label);
}

}  // namespace

void start_net_self_test(const char* label) {
    auto* run = new (std::nothrow) Run;
    if (!run) {
        printf("net: self-test %s FAIL: no memory\n", label);
        return;
    }
    snprintf(run->label, sizeof(run->label), "%s", label);
    if (Error e = sched::this_scheduler().spawn_detached("net-self-test", self_test_thread, run);
        e != Error::none) {
        printf("net: self-test %s FAIL: no thread (%s)\n", run->label, error_name(e));
        delete run;
    }
}

void run_net_self_test_after_each_resume() {
    if (Error e = suspend::on_resume(after_resume, nullptr); e != Error::none)
        printf("net: self-test: no resume hook (%s)\n", error_name(e));
}

}  // namespace torpor::demo
