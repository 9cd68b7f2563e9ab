/* echo_stream: the harness's dom0 client of a guest's TCP echo service.
 *
 * Keeps ONE TCP connection to HOST:PORT carrying a deterministic byte stream
 * (byte N is a function of N alone), reads the echo back and checks every
 * byte: a lost, duplicated, reordered or corrupted byte is a FAIL line with
 * its offset. It never reconnects. It runs until DIR/stop appears, SIGTERM or
 * SIGINT, or --limit seconds; then it stops sending, waits (--drain) for the
 * rest of the echo and prints its summary.
 *
 * The scenario marks windows (an operation such as "save-restore-3") by
 * writing a label into DIR/label; the longest wait for an echo is recorded
 * overall and per window. Times are CLOCK_MONOTONIC milliseconds (dom0's
 * uptime clock, shared with arp_watch).
 *
 * Files in DIR: status (echoed=N sent=N mono_ms=N, rewritten every 100 ms),
 * timeline.csv (mono_ms,echoed every 100 ms), windows.tsv and summary at the
 * end. Progress, FAIL and summary lines go to stdout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_WINDOWS 4096 /* one per operation: a soak of 1000 cycles has over 1000 */
#define LABEL_MAX 64

struct window {
    char label[LABEL_MAX];
    int64_t start_ms, end_ms; /* end_ms < 0: still open */
    uint64_t echoed_at_start, bytes;
    int64_t stall_max_ms;
};

static struct {
    const char *host, *dir;
    int port;
    long rate;            /* bytes per second */
    long window;          /* most bytes sent and not yet echoed */
    long limit_s, connect_s, drain_s;
} opt = {NULL, NULL, 7, 65536, 32768, 900, 60, 30};

static volatile sig_atomic_t stop_signal;
static struct window windows[MAX_WINDOWS];
static int nwindows;
static uint64_t sent, echoed;
static int64_t stall_max_ms, stall_max_at_ms, waiting_since_ms = -1;
static int errors;

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void say(const char *fmt, ...) {
    va_list ap;
    printf("client: [%lld] ", (long long)mono_ms());
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* Byte `offset` of the stream: splitmix64 of the 8-byte block it is in. */
static uint8_t stream_byte(uint64_t offset) {
    uint64_t z = (offset >> 3) + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (uint8_t)(z >> ((offset & 7) * 8));
}

static int matches_at(const uint8_t *got, size_t n, uint64_t offset) {
    for (size_t i = 0; i < n; i++)
        if (got[i] != stream_byte(offset + i)) return 0;
    return 1;
}

/* What a mismatch at `offset` looks like: the bytes that came are those of
 * a later offset (lost), an earlier one (duplicated or reordered), or none. */
static void explain_mismatch(const uint8_t *got, size_t n, uint64_t offset) {
    size_t probe = n < 16 ? n : 16;
    for (uint64_t d = 1; probe >= 4 && d <= (1u << 20); d++) {
        if (matches_at(got, probe, offset + d)) {
            say("FAIL at offset %llu: %llu bytes lost (the echo continues with offset %llu)",
                (unsigned long long)offset, (unsigned long long)d, (unsigned long long)(offset + d));
            return;
        }
        if (d <= offset && matches_at(got, probe, offset - d)) {
            say("FAIL at offset %llu: duplicated or reordered bytes (the echo repeats offset %llu)",
                (unsigned long long)offset, (unsigned long long)(offset - d));
            return;
        }
    }
    say("FAIL at offset %llu: corrupted byte 0x%02x, expected 0x%02x", (unsigned long long)offset,
        got[0], stream_byte(offset));
}

static void path_in_dir(char *out, size_t size, const char *name) {
    snprintf(out, size, "%s/%s", opt.dir, name);
}

static void write_file(const char *name, const char *text) {
    char path[512], tmp[520];
    path_in_dir(path, sizeof path, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    fputs(text, f);
    fclose(f);
    rename(tmp, path);
}

static int file_exists(const char *name) {
    char path[512];
    path_in_dir(path, sizeof path, name);
    return access(path, F_OK) == 0;
}

static void read_label(char *out) {
    char path[512];
    path_in_dir(path, sizeof path, "label");
    out[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f) return;
    if (!fgets(out, LABEL_MAX, f)) out[0] = 0;
    fclose(f);
    out[strcspn(out, "\r\n\t ")] = 0;
}

static void open_window(const char *label, int64_t now, int log) {
    if (nwindows > 0) {
        struct window *w = &windows[nwindows - 1];
        w->end_ms = now;
        w->bytes = echoed - w->echoed_at_start;
    }
    if (nwindows == MAX_WINDOWS) {
        say("FAIL: more than %d windows", MAX_WINDOWS);
        errors++;
        return;
    }
    struct window *w = &windows[nwindows++];
    snprintf(w->label, sizeof w->label, "%s", label[0] ? label : "-");
    w->start_ms = now;
    w->end_ms = -1;
    w->echoed_at_start = echoed;
    w->stall_max_ms = 0;
    if (log) say("window %s starts at echoed=%llu", w->label, (unsigned long long)echoed);
}

/* A wait for the echo from `from` to `to`: counted in every window it overlaps. */
static void record_stall(int64_t from, int64_t to) {
    int64_t ms = to - from;
    if (ms > stall_max_ms) {
        stall_max_ms = ms;
        stall_max_at_ms = from;
    }
    for (int i = nwindows - 1; i >= 0; i--) {
        struct window *w = &windows[i];
        if (w->end_ms >= 0 && w->end_ms < from) break;
        if (w->start_ms <= to && ms > w->stall_max_ms) w->stall_max_ms = ms;
    }
    if (ms >= 1000) say("echo resumed after a %lld ms wait", (long long)ms);
}

static int connect_once(int64_t deadline) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port)};
    if (inet_pton(AF_INET, opt.host, &sa.sin_addr) != 1) {
        say("FAIL: bad address %s", opt.host);
        return -1;
    }
    int tries = 0;
    while (mono_ms() < deadline && !stop_signal) {
        tries++;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) { say("FAIL: socket: %s", strerror(errno)); return -1; }
        int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
        if (rc < 0 && errno == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int64_t left = deadline - mono_ms();
            if (poll(&p, 1, (int)(left < 3000 ? (left > 0 ? left : 0) : 3000)) == 1) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
                rc = err ? -1 : 0;
                errno = err ? err : ETIMEDOUT;
            } else {
                errno = ETIMEDOUT;
            }
        }
        if (rc == 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            say("connected to %s:%d after %d tries", opt.host, opt.port, tries);
            return fd;
        }
        if (tries == 1 || tries % 10 == 0)
            say("connect to %s:%d: %s (try %d, retrying)", opt.host, opt.port, strerror(errno), tries);
        close(fd);
        usleep(500 * 1000);
    }
    say("FAIL: could not connect to %s:%d within %ld s", opt.host, opt.port, opt.connect_s);
    return -1;
}

static void on_signal(int sig) { stop_signal = sig; }

static void usage(void) {
    fprintf(stderr, "usage: echo_stream --host IPV4 --dir DIR [--port 7] [--rate BYTES_PER_S]\n"
                    "  [--window BYTES] [--limit S] [--connect-timeout S] [--drain S]\n");
    exit(2);
}

static void parse_args(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--host")) opt.host = v;
        else if (!strcmp(a, "--dir")) opt.dir = v;
        else if (!strcmp(a, "--port")) opt.port = atoi(v);
        else if (!strcmp(a, "--rate")) opt.rate = atol(v);
        else if (!strcmp(a, "--window")) opt.window = atol(v);
        else if (!strcmp(a, "--limit")) opt.limit_s = atol(v);
        else if (!strcmp(a, "--connect-timeout")) opt.connect_s = atol(v);
        else if (!strcmp(a, "--drain")) opt.drain_s = atol(v);
        else usage();
    }
    if (!opt.host || !opt.dir || opt.port <= 0 || opt.rate <= 0 || opt.window <= 0 || opt.limit_s <= 0)
        usage();
}

static void finish(int64_t start, const char *reason) {
    int64_t now = mono_ms();
    char buf[160], path[512];
    open_window("", now, 0); /* closes the last one */
    nwindows--;
    path_in_dir(path, sizeof path, "windows.tsv");
    FILE *f = fopen(path, "w");
    if (f) fprintf(f, "label\tstart_ms\tend_ms\tbytes\tstall_max_ms\n");
    for (int i = 0; i < nwindows; i++) {
        struct window *w = &windows[i];
        say("window %s bytes=%llu stall_max_ms=%lld duration_ms=%lld", w->label,
            (unsigned long long)w->bytes, (long long)w->stall_max_ms,
            (long long)(w->end_ms - w->start_ms));
        if (f)
            fprintf(f, "%s\t%lld\t%lld\t%llu\t%lld\n", w->label, (long long)w->start_ms,
                    (long long)w->end_ms, (unsigned long long)w->bytes, (long long)w->stall_max_ms);
    }
    if (f) fclose(f);
    snprintf(buf, sizeof buf, "client: bytes=%llu stalls_max_ms=%lld errors=%d duration_ms=%lld "
             "windows=%d reason=%s connections=1\n", (unsigned long long)echoed,
             (long long)stall_max_ms, errors, (long long)(now - start), nwindows, reason);
    fputs(buf, stdout);
    fflush(stdout);
    write_file("summary", buf);
}

int main(int argc, char **argv) {
    parse_args(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int64_t start = mono_ms();
    say("start wall_ms=%lld host=%s port=%d rate=%ld window=%ld limit_s=%ld", (long long)wall_ms(),
        opt.host, opt.port, opt.rate, opt.window, opt.limit_s);
    char label[LABEL_MAX], path[512];
    read_label(label);
    open_window(label, start, 1);
    int fd = connect_once(start + opt.connect_s * 1000);
    if (fd < 0) {
        errors++;
        finish(start, "no-connection");
        return 1;
    }
    path_in_dir(path, sizeof path, "timeline.csv");
    FILE *timeline = fopen(path, "w");
    if (timeline) fprintf(timeline, "mono_ms,echoed\n");

    static uint8_t out[4096], in[65536];
    int64_t last_tick = 0, last_poll = 0, last_progress = mono_ms(), drain_deadline = -1;
    int64_t last_refill = mono_ms();
    double tokens = 0;
    const char *reason = NULL;
    int write_shut = 0;
    while (!reason) {
        int64_t now = mono_ms();
        if (now - last_poll >= 50) {
            last_poll = now;
            char l[LABEL_MAX];
            read_label(l);
            if (strcmp(l[0] ? l : "-", windows[nwindows - 1].label)) open_window(l, now, 1);
            if (drain_deadline < 0 && (stop_signal || file_exists("stop") ||
                                       now - start >= opt.limit_s * 1000)) {
                drain_deadline = now + opt.drain_s * 1000;
                say("stopping (%s): sent=%llu echoed=%llu, draining up to %ld s",
                    stop_signal ? "signal" : now - start >= opt.limit_s * 1000 ? "time limit" : "stop file",
                    (unsigned long long)sent, (unsigned long long)echoed, opt.drain_s);
            }
        }
        if (now - last_tick >= 100) {
            char status[128];
            last_tick = now;
            snprintf(status, sizeof status, "echoed=%llu sent=%llu mono_ms=%lld\n",
                     (unsigned long long)echoed, (unsigned long long)sent, (long long)now);
            write_file("status", status);
            if (timeline) fprintf(timeline, "%lld,%llu\n", (long long)now, (unsigned long long)echoed);
        }
        if (now - last_progress >= 1000) {
            last_progress = now;
            say("sent=%llu echoed=%llu waiting_ms=%lld window=%s", (unsigned long long)sent,
                (unsigned long long)echoed, (long long)(waiting_since_ms >= 0 ? now - waiting_since_ms : 0),
                windows[nwindows - 1].label);
        }
        if (drain_deadline >= 0 && echoed == sent && !write_shut) {
            shutdown(fd, SHUT_WR); /* the peer's echo ends: an EOF is expected soon */
            write_shut = 1;
            if (drain_deadline > now + 3000) drain_deadline = now + 3000;
        }
        if (drain_deadline >= 0 && now >= drain_deadline) {
            if (echoed != sent) {
                say("FAIL: %llu bytes sent were never echoed (waited %ld s after stopping)",
                    (unsigned long long)(sent - echoed), opt.drain_s);
                errors++;
            }
            reason = echoed == sent ? "stopped" : "drain-timeout";
            break;
        }

        /* Send what the rate allows (a burst of at most a quarter second). */
        tokens += (double)(now - last_refill) * opt.rate / 1000.0;
        last_refill = now;
        if (tokens > opt.rate / 4.0) tokens = opt.rate / 4.0;
        size_t room = (size_t)(opt.window - (long)(sent - echoed));
        size_t want = drain_deadline >= 0 ? 0 : (size_t)tokens;
        if (want > room) want = room;
        if (want > sizeof out) want = sizeof out;

        struct pollfd p = {.fd = fd, .events = POLLIN | (want ? POLLOUT : 0)};
        if (poll(&p, 1, 20) < 0 && errno != EINTR) {
            say("FAIL: poll: %s", strerror(errno));
            errors++;
            reason = "error";
            break;
        }
        now = mono_ms();
        if (want && (p.revents & POLLOUT)) {
            for (size_t i = 0; i < want; i++) out[i] = stream_byte(sent + i);
            ssize_t n = send(fd, out, want, MSG_DONTWAIT);
            if (n > 0) {
                if (sent == echoed) waiting_since_ms = now;
                sent += (uint64_t)n;
                tokens -= (double)n;
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                say("FAIL: connection error on send at offset %llu: %s", (unsigned long long)sent,
                    strerror(errno));
                errors++;
                reason = "error";
                break;
            }
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = recv(fd, in, sizeof in, MSG_DONTWAIT);
            if (n > 0) {
                if ((uint64_t)n > sent - echoed) {
                    say("FAIL at offset %llu: %lld bytes echoed that were never sent",
                        (unsigned long long)sent, (long long)((uint64_t)n - (sent - echoed)));
                    errors++;
                    reason = "error";
                    break;
                }
                for (ssize_t i = 0; i < n; i++) {
                    if (in[i] != stream_byte(echoed + (uint64_t)i)) {
                        explain_mismatch(in + i, (size_t)(n - i), echoed + (uint64_t)i);
                        errors++;
                        reason = "error";
                        break;
                    }
                }
                if (reason) break;
                if (waiting_since_ms >= 0) record_stall(waiting_since_ms, now);
                echoed += (uint64_t)n;
                waiting_since_ms = echoed == sent ? -1 : now;
            } else if (n == 0) {
                if (drain_deadline >= 0 && echoed == sent) {
                    reason = "stopped";
                } else {
                    say("FAIL: connection closed by the peer at offset %llu (sent %llu)",
                        (unsigned long long)echoed, (unsigned long long)sent);
                    errors++;
                    reason = "peer-closed";
                }
            } else if (errno != EAGAIN && errno != EINTR) {
                say("FAIL: connection error at offset %llu: %s", (unsigned long long)echoed,
                    strerror(errno));
                errors++;
                reason = "error";
            }
        }
    }
    if (waiting_since_ms >= 0) record_stall(waiting_since_ms, mono_ms());
    if (timeline) {
        fprintf(timeline, "%lld,%llu\n", (long long)mono_ms(), (unsigned long long)echoed);
        fclose(timeline);
    }
    close(fd);
    finish(start, reason);
    return errors ? 1 : 0;
}
