/* arp_watch: logs every ARP frame a guest's MAC sends that reaches a dom0
 * interface (the bridge), with the time and the scenario's current window
 * label, so that a checker can count the gratuitous ARPs after each resume.
 *
 * usage: arp_watch --iface xenbr0 --mac 00:16:3e:77:00:03 --dir DIR
 * Appends to DIR/arp.tsv (mono_ms, wall_ms, op, sender ip, target ip,
 * gratuitous: sender ip == target ip, label from DIR/label) and echoes each
 * line on stdout. Runs until DIR/stop appears or SIGTERM/SIGINT.
 * Times are CLOCK_MONOTONIC milliseconds, as echo_stream's.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig) { stop_signal = sig; }

static int64_t clock_ms(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_mac(const char *s, uint8_t mac[6]) {
    unsigned v[6];
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
        return 0;
    for (int i = 0; i < 6; i++) mac[i] = (uint8_t)v[i];
    return 1;
}

static void read_label(const char *dir, char *out, size_t size) {
    char path[512];
    snprintf(path, sizeof path, "%s/label", dir);
    out[0] = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(out, (int)size, f)) out[0] = 0;
        fclose(f);
    }
    out[strcspn(out, "\r\n\t ")] = 0;
    if (!out[0]) snprintf(out, size, "-");
}

int main(int argc, char **argv) {
    const char *iface = NULL, *dir = NULL, *mac_text = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--iface")) iface = argv[i + 1];
        else if (!strcmp(argv[i], "--mac")) mac_text = argv[i + 1];
        else if (!strcmp(argv[i], "--dir")) dir = argv[i + 1];
    }
    uint8_t mac[6];
    if (!iface || !dir || !mac_text || !parse_mac(mac_text, mac) || argc % 2 == 0) {
        fprintf(stderr, "usage: arp_watch --iface IFACE --mac MAC --dir DIR\n");
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
    unsigned index = if_nametoindex(iface);
    struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP),
                             .sll_ifindex = (int)index};
    if (fd < 0 || !index || bind(fd, (struct sockaddr *)&ll, sizeof ll) < 0) {
        printf("arp_watch: FAIL: cannot listen on %s: %s\n", iface, strerror(errno));
        return 1;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/arp.tsv", dir);
    FILE *log = fopen(path, "w");
    if (!log) {
        printf("arp_watch: FAIL: cannot write %s\n", path);
        return 1;
    }
    fprintf(log, "mono_ms\twall_ms\top\tsender\ttarget\tgratuitous\tlabel\n");
    fflush(log);
    printf("arp_watch: listening on %s for ARP from %s\n", iface, mac_text);
    fflush(stdout);
    snprintf(path, sizeof path, "%s/stop", dir);
    int64_t last_check = 0;
    unsigned seen = 0;
    for (;;) {
        int64_t now = clock_ms(CLOCK_MONOTONIC);
        if (now - last_check >= 100) {
            last_check = now;
            if (stop_signal || access(path, F_OK) == 0) break;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0) continue;
        uint8_t frame[256];
        struct sockaddr_ll from;
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(fd, frame, sizeof frame, MSG_DONTWAIT, (struct sockaddr *)&from, &len);
        /* ARP for IPv4 over Ethernet: 8-byte header, then sha(6) spa(4) tha(6) tpa(4). */
        if (n < 28 || frame[4] != 6 || frame[5] != 4 || memcmp(frame + 8, mac, 6) != 0) continue;
        unsigned op = (unsigned)frame[6] << 8 | frame[7];
        char sender[INET_ADDRSTRLEN], target[INET_ADDRSTRLEN], label[64];
        inet_ntop(AF_INET, frame + 14, sender, sizeof sender);
        inet_ntop(AF_INET, frame + 24, target, sizeof target);
        read_label(dir, label, sizeof label);
        int gratuitous = memcmp(frame + 14, frame + 24, 4) == 0;
        char line[256];
        snprintf(line, sizeof line, "%lld\t%lld\t%s\t%s\t%s\t%d\t%s\n",
                 (long long)clock_ms(CLOCK_MONOTONIC), (long long)clock_ms(CLOCK_REALTIME),
                 op == ARPOP_REQUEST ? "request" : op == ARPOP_REPLY ? "reply" : "other", sender,
                 target, gratuitous, label);
        fputs(line, log);
        fflush(log);
        printf("arp_watch: %s", line);
        fflush(stdout);
        seen++;
    }
    printf("arp_watch: stopped after %u ARP frames from %s\n", seen, mac_text);
    fclose(log);
    return 0;
}
