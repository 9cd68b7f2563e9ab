/* http_rate: the bench's HTTP client in dom0, the same for every guest.
 *
 * Sends `GET PATH HTTP/1.0` to HOST:PORT over and over, one request at a time
 * and one TCP connection per request (HTTP/1.0: the server closes it), for
 * --seconds seconds, and counts the answers that are complete: the connection
 * closed by the server after a status line "HTTP/1.x 200" and a non-empty body.
 * Anything else (no connection, a timeout, another status, no body) counts as
 * an error. A program rather than busybox wget in a loop so that dom0's
 * fork+exec (tens of ms under TCG) is not what gets measured.
 *
 * Prints one line at the end (also written to --out FILE if given):
 *   http: requests=N errors=N seconds=S.SSS rps=R.R max_ms=N first_error=TEXT
 * Exit status 0 if at least one request was answered and none failed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_TIMEOUT_MS 5000

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for `events` or `deadline` passes; 1 when ready. */
static int wait_for(int fd, short events, int64_t deadline) {
    for (;;) {
        int64_t left = deadline - mono_ms();
        if (left <= 0) return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int rc = poll(&p, 1, (int)left);
        if (rc > 0) return 1;
        if (rc < 0 && errno != EINTR) return 0;
    }
}

/* One request; NULL when it was answered completely, else what went wrong. */
static const char *one_request(const struct sockaddr_in *sa, const char *request) {
    static char response[65536];
    int64_t deadline = mono_ms() + REQUEST_TIMEOUT_MS;
    const char *error = NULL;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return "socket-failed";
    if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) < 0) {
        int err = 0;
        socklen_t len = sizeof err;
        if (errno != EINPROGRESS || !wait_for(fd, POLLOUT, deadline)) {
            close(fd);
            return "connect-timed-out";
        }
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
            close(fd);
            return "connection-refused-or-failed";
        }
    }
    size_t want = strlen(request), done = 0, have = 0;
    while (!error && done < want) {
        if (!wait_for(fd, POLLOUT, deadline)) { error = "send-timed-out"; break; }
        ssize_t n = send(fd, request + done, want - done, MSG_NOSIGNAL);
        if (n > 0) done += (size_t)n;
        else if (n < 0 && errno != EAGAIN && errno != EINTR) error = "send-failed";
    }
    while (!error) {
        if (!wait_for(fd, POLLIN, deadline)) { error = "response-timed-out"; break; }
        ssize_t n = recv(fd, response + have, sizeof response - 1 - have, 0);
        if (n == 0) break; /* the server closed: the response is complete */
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) error = "connection-reset";
            continue;
        }
        have += (size_t)n;
        if (have == sizeof response - 1) error = "response-too-long";
    }
    close(fd);
    if (error) return error;
    response[have] = 0;
    if (strncmp(response, "HTTP/1.", 7) || strncmp(response + 8, " 200", 4)) return "status-not-200";
    const char *body = strstr(response, "\r\n\r\n");
    if (!body || !body[4]) return "empty-body";
    return NULL;
}

static void usage(void) {
    fprintf(stderr, "usage: http_rate --host IPV4 [--port 80] [--path /] [--seconds 3] [--out FILE]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *host = NULL, *path = "/", *out = NULL;
    int port = 80;
    long seconds = 3;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) usage();
        const char *a = argv[i], *v = argv[++i];
        if (!strcmp(a, "--host")) host = v;
        else if (!strcmp(a, "--port")) port = atoi(v);
        else if (!strcmp(a, "--path")) path = v;
        else if (!strcmp(a, "--seconds")) seconds = atol(v);
        else if (!strcmp(a, "--out")) out = v;
        else usage();
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (!host || port <= 0 || port > 65535 || seconds <= 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        usage();
    char request[512];
    snprintf(request, sizeof request, "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: http_rate\r\n\r\n",
             path, host);

    long requests = 0, errors = 0;
    int64_t max_ms = 0, start = mono_ms(), end = start + seconds * 1000, now = start;
    const char *first_error = NULL;
    while ((now = mono_ms()) < end) {
        const char *error = one_request(&sa, request);
        int64_t took = mono_ms() - now;
        if (took > max_ms) max_ms = took;
        if (error) {
            errors++;
            if (!first_error) first_error = error;
            usleep(10 * 1000); /* a refused connection must not spin */
        } else {
            requests++;
        }
    }
    int64_t elapsed = mono_ms() - start;
    char line[256];
    snprintf(line, sizeof line, "http: requests=%ld errors=%ld seconds=%lld.%03lld rps=%.1f max_ms=%lld first_error=%s\n",
             requests, errors, (long long)(elapsed / 1000), (long long)(elapsed % 1000),
             elapsed > 0 ? requests * 1000.0 / (double)elapsed : 0.0, (long long)max_ms,
             first_error ? first_error : "none");
    fputs(line, stdout);
    if (out) {
        FILE *f = fopen(out, "w");
        if (f) {
            fputs(line, f);
            fclose(f);
        }
    }
    return requests > 0 && errors == 0 ? 0 : 1;
}
