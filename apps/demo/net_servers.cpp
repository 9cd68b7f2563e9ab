#include "apps/demo/net_servers.h"

#include <inttypes.h>
#include <new>
#include <lwip/sockets.h>
#include <stdio.h>

#include "apps/demo/http_request.h"
#include "apps/demo/socket_io.h"
#include "apps/demo/status_page.h"
#include "base/spinlock.h"
#include "kernel/cpu_local.h"
#include "kernel/net/stack.h"
#include "kernel/sched/scheduler.h"
#include "kernel/smp/smp.h"
#include "kernel/time/clock.h"
#include "suspend/app_hooks.h"

namespace torpor::demo {

namespace {

constexpr unsigned kMaxConnectionsPerServer = 16;
constexpr int kListenBacklog = 8;
constexpr uint64_t kEchoIdleMs = 120'000;
constexpr uint64_t kSendTimeoutMs = 30'000;
constexpr uint64_t kHttpHeadDeadlineNs = 10'000'000'000ull;
// After the response: how long the HTTP server keeps reading (and dropping)
// what the peer still sends, so that closing with unread data does not reset
// the connection before the peer has read the response.
constexpr uint64_t kHttpLingerMs = 1'000;
constexpr unsigned kHttpLingerReads = 16;
// Per-connection log lines: at most this many per second per server.
constexpr unsigned kLogLinesPerSecond = 5;
constexpr uint64_t kNs = 1'000'000'000ull;

// What the application heard from the suspend hooks.
struct ResumeRecord {
    Spinlock lock;
    unsigned suspends = 0;
    bool resumed = false;
    bool cancelled = false;
    uint64_t downtime_ns = 0;
} resumes;

struct Connection;

struct Server {
    const char* name;
    uint16_t port;
    void (*serve)(Connection& c);
    int listen_fd = -1;
    unsigned active = 0;      // atomic
    uint64_t accepted = 0;    // atomic
    uint64_t refused = 0;     // atomic
    Spinlock log_lock;
    uint64_t log_window_ns = 0;
    unsigned log_lines = 0;
    unsigned log_suppressed = 0;
};

struct Connection {
    Server* server;
    int fd;
    char peer[24];
    uint64_t start_ns;
    uint64_t bytes = 0;
    const char* outcome = "";
    bool served = false;  // ended as the protocol ends (not on an error or timeout)
    bool loopback = false;
};

void serve_echo(Connection& c);
void serve_http(Connection& c);
Server echo_server{"echo", kEchoPort, serve_echo};
Server http_server{"http", kHttpPort, serve_http};
uint64_t http_answered = 0;  // atomic

// Whether a per-connection line may be printed now, and how many were not
// since the last one that was.
bool may_log(Server& s, unsigned* suppressed) {
    uint64_t now = clock::monotonic_ns();
    LockGuard guard(s.log_lock);
    if (now - s.log_window_ns >= kNs) {
        s.log_window_ns = now;
        s.log_lines = 0;
    }
    if (s.log_lines >= kLogLinesPerSecond) {
        ++s.log_suppressed;
        return false;
    }
    ++s.log_lines;
    *suppressed = s.log_suppressed;
    s.log_suppressed = 0;
    return true;
}

// Connections from 127.0.0.1 are the self-test's, which reports them itself:
// only those that went wrong are logged.
void log_connection(Connection& c) {
    if (c.loopback && c.served) return;
    unsigned suppressed = 0;
    if (!may_log(*c.server, &suppressed)) return;
    char more[40] = "";
    if (suppressed) snprintf(more, sizeof(more), " (+%u not logged)", suppressed);
    printf("net: %s %s: %s, %" PRIu64 " bytes in %" PRIu64 " ms%s\n", c.server->name, c.peer,
           c.outcome, c.bytes, (clock::monotonic_ns() - c.start_ns) / 1'000'000, more);
}

// ---- echo (RFC 862): everything received is sent back ----------------------

void serve_echo(Connection& c) {
    if (!sockio::set_timeouts(c.fd, kEchoIdleMs, kSendTimeoutMs)) {
        c.outcome = "cannot set timeouts";
        return;
    }
    int one = 1;
    (void)lwip_setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    char buffer[2 * 1460];
    for (;;) {
        ssize_t n = lwip_recv(c.fd, buffer, sizeof(buffer), 0);
        if (n == 0) {
            c.outcome = "peer closed";
            c.served = true;
            return;
        }
        if (n < 0) {
            c.outcome = errno == EWOULDBLOCK || errno == EAGAIN ? "idle timeout" : "receive error";
            return;
        }
        if (!sockio::send_all(c.fd, buffer, size_t(n))) {
            c.outcome = "send failed or timed out";
            return;
        }
        c.bytes += uint64_t(n);
    }
}

// ---- HTTP/1.0: one request per connection -----------------------------------

http::Status current_status() {
    http::Status s{};
    s.uptime_ns = clock::monotonic_ns();
    {
        LockGuard guard(resumes.lock);
        s.suspends = resumes.suspends;
        s.resumed = resumes.resumed;
        s.last_cancelled = resumes.cancelled;
        s.last_downtime_ns = resumes.downtime_ns;
    }
    s.echo_connections = __atomic_load_n(&echo_server.accepted, __ATOMIC_RELAXED);
    s.http_requests = __atomic_load_n(&http_answered, __ATOMIC_RELAXED);
    return s;
}

// The request head, bounded in size and in time (kHttpHeadDeadlineNs for the
// whole head, however slowly it trickles in).
http::Outcome read_request(Connection& c, char* request, size_t* have) {
    uint64_t deadline = clock::monotonic_ns() + kHttpHeadDeadlineNs;
    http::Outcome outcome;
    while ((outcome = http::classify_request(request, *have)) == http::Outcome::incomplete) {
        uint64_t now = clock::monotonic_ns();
        if (now >= deadline) {
            c.outcome = "request timed out";
            break;
        }
        uint64_t left_ms = (deadline - now) / 1'000'000 + 1;
        if (!sockio::set_timeouts(c.fd, left_ms, kSendTimeoutMs)) break;
        ssize_t n = lwip_recv(c.fd, request + *have, http::kMaxRequestBytes - *have, 0);
        if (n == 0) {
            c.outcome = "peer closed mid-request";
            break;
        }
        if (n < 0) {
            c.outcome = errno == EWOULDBLOCK || errno == EAGAIN ? "request timed out"
                                                                : "receive error";
            break;
        }
        *have += size_t(n);
    }
    return outcome;
}

void serve_http(Connection& c) {
    char request[http::kMaxRequestBytes];
    size_t have = 0;
    http::Outcome outcome = read_request(c, request, &have);
    c.bytes = have;
    if (outcome == http::Outcome::incomplete && have == 0) {
        if (!*c.outcome) c.outcome = "no request";
        return;  // nothing asked, nothing answered
    }
    __atomic_add_fetch(&http_answered, 1, __ATOMIC_RELAXED);
    char response[1024];
    size_t length = http::format_response(outcome, current_status(), response, sizeof(response));
    if (length == 0 || !sockio::set_timeouts(c.fd, kHttpLingerMs, kSendTimeoutMs) ||
        !sockio::send_all(c.fd, response, length)) {
        c.outcome = "response not sent";
        return;
    }
    c.outcome = outcome == http::Outcome::status_page      ? "200 GET /"
                : outcome == http::Outcome::not_found       ? "404"
                : outcome == http::Outcome::not_implemented ? "501"
                : outcome == http::Outcome::too_large       ? "400 (too large)"
                : outcome == http::Outcome::incomplete      ? "400 (incomplete)"
                                                            : "400 (bad request)";
    c.served = true;
    // Lingering close: the peer reads the response before our close could
    // reset the connection over data it sent and we never read.
    lwip_shutdown(c.fd, SHUT_WR);
    char scratch[512];
    for (unsigned i = 0; i < kHttpLingerReads; ++i)
        if (lwip_recv(c.fd, scratch, sizeof(scratch), 0) <= 0) break;
}

// ---- accepting ------------------------------------------------------------------

void connection_thread(void* arg) {
    auto* c = static_cast<Connection*>(arg);
    c->server->serve(*c);
    lwip_close(c->fd);
    log_connection(*c);
    __atomic_sub_fetch(&c->server->active, 1, __ATOMIC_ACQ_REL);
    delete c;
}

// The next online vCPU after the last one used, so connections spread.
unsigned next_cpu() {
    static unsigned last = 0;
    unsigned start = __atomic_load_n(&last, __ATOMIC_RELAXED);
    for (unsigned i = 1; i <= kMaxCpus; ++i) {
        unsigned cpu = (start + i) % kMaxCpus;
        if (smp::is_online(cpu)) {
            __atomic_store_n(&last, cpu, __ATOMIC_RELAXED);
            return cpu;
        }
    }
    return sched::this_scheduler().cpu();
}

void accept_thread(void* arg) {
    auto* s = static_cast<Server*>(arg);
    unsigned errors = 0;
    for (;;) {
        struct sockaddr_in peer {};
        socklen_t peer_length = sizeof(peer);
        int fd = lwip_accept(s->listen_fd, reinterpret_cast<struct sockaddr*>(&peer), &peer_length);
        if (fd < 0) {
            int error = errno;
            if (errors++ < 5) printf("net: %s: accept failed (errno %d)\n", s->name, error);
            // A peer that gave up before we accepted it costs nothing; out of
            // sockets or memory, wait a little rather than spin.
            if (error != ECONNABORTED)
                sched::this_scheduler().sleep_until(clock::monotonic_ns() + 100'000'000ull);
            continue;
        }
        if (__atomic_add_fetch(&s->active, 1, __ATOMIC_ACQ_REL) > kMaxConnectionsPerServer) {
            __atomic_sub_fetch(&s->active, 1, __ATOMIC_ACQ_REL);
            uint64_t refused = __atomic_add_fetch(&s->refused, 1, __ATOMIC_RELAXED);
            lwip_close(fd);
            if (refused <= 5 || refused % 1000 == 0)
                printf("net: %s: %u connections busy, refused one (%" PRIu64 " so far)\n",
                       s->name, kMaxConnectionsPerServer, refused);
            continue;
        }
        auto* c = new (std::nothrow) Connection{s, fd, "", clock::monotonic_ns()};
        if (!c) {
            lwip_close(fd);
            __atomic_sub_fetch(&s->active, 1, __ATOMIC_ACQ_REL);
            continue;
        }
        sockio::format_peer(peer.sin_addr.s_addr, peer.sin_port, c->peer, sizeof(c->peer));
        c->loopback = (lwip_ntohl(peer.sin_addr.s_addr) >> 24) == 127;
        __atomic_add_fetch(&s->accepted, 1, __ATOMIC_RELAXED);
        if (cpu_local(next_cpu()).scheduler.spawn_detached(s->name, connection_thread, c) !=
            Error::none) {
            printf("net: %s: no thread for %s; closed\n", s->name, c->peer);
            lwip_close(fd);
            __atomic_sub_fetch(&s->active, 1, __ATOMIC_ACQ_REL);
            delete c;
        }
    }
}

Error listen_on(Server& s) {
    int fd = lwip_socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        printf("net: %s: no socket (errno %d)\n", s.name, errno);
        return Error::out_of_memory;
    }
    int one = 1;
    (void)lwip_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = lwip_htons(s.port);
    address.sin_addr.s_addr = lwip_htonl(INADDR_ANY);
    if (lwip_bind(fd, reinterpret_cast<struct sockaddr*>(&address), sizeof(address)) != 0 ||
        lwip_listen(fd, kListenBacklog) != 0) {
        printf("net: %s: cannot listen on port %u (errno %d)\n", s.name, s.port, errno);
        lwip_close(fd);
        return Error::invalid_argument;
    }
    s.listen_fd = fd;
    if (Error e = sched::this_scheduler().spawn_detached(s.name, accept_thread, &s);
        e != Error::none) {
        printf("net: %s: no accept thread: %s\n", s.name, error_name(e));
        lwip_close(fd);
        s.listen_fd = -1;
        return e;
    }
    printf("net: %s listening on port %u\n", s.name, s.port);
    return Error::none;
}

void note_resume(const suspend::ResumeInfo& info, void*) {
    LockGuard guard(resumes.lock);
    resumes.suspends = info.suspend_number;
    resumes.resumed = true;
    resumes.cancelled = info.cancelled;
    resumes.downtime_ns = info.downtime_ns;
}

}  // namespace

Error start_net_servers() {
    if (Error e = suspend::on_resume(note_resume, nullptr); e != Error::none)
        printf("net: no resume hook (%s): the status page will not show suspends\n", error_name(e));
    if (Error e = net::start_stack(); e != Error::none) {
        printf("net: no TCP/IP stack (%s): servers not started\n", error_name(e));
        return e;
    }
    Error echo = listen_on(echo_server);
    Error web = listen_on(http_server);
    return echo != Error::none ? echo : web;
}

NetCounters net_counters() {
    return {__atomic_load_n(&echo_server.accepted, __ATOMIC_RELAXED),
            __atomic_load_n(&http_answered, __ATOMIC_RELAXED),
            __atomic_load_n(&echo_server.refused, __ATOMIC_RELAXED) +
                __atomic_load_n(&http_server.refused, __ATOMIC_RELAXED)};
}

}  // namespace torpor::demo
