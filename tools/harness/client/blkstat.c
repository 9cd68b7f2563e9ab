/* blkstat: samples blkback's per-vbd request counters, for the bench's
 * storage rows (tools/harness/scenarios/bench.sh, measure_blk): what every
 * guest's disk did, read the same way whatever the guest is.
 *
 * usage: blkstat OUT INTERVAL_MS
 * Every INTERVAL_MS appends one line per /sys/bus/xen-backend/devices/vbd-*
 * to OUT: "ms vbd-DOMID-DEVID rd_req wr_req rd_sect wr_sect f_req oo_req"
 * (ms: CLOCK_BOOTTIME milliseconds, the clock of the scenario's now_ms, which
 * reads /proc/uptime), or "ms -" when there is no vbd. Runs until SIGTERM or
 * SIGINT. */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig) { stop_signal = sig; }

#define DEVICES "/sys/bus/xen-backend/devices"

static unsigned long long counter(const char *vbd, const char *name) {
  char path[512];
  unsigned long long v = 0;
  snprintf(path, sizeof(path), DEVICES "/%s/statistics/%s", vbd, name);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  if (fscanf(f, "%llu", &v) != 1) v = 0;
  fclose(f);
  return v;
}

static uint64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_BOOTTIME, &t);
  return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

int main(int argc, char **argv) {
  if (argc != 3 || atoi(argv[2]) <= 0) {
    fprintf(stderr, "usage: blkstat OUT INTERVAL_MS\n");
    return 2;
  }
  FILE *out = fopen(argv[1], "a");
  if (!out) {
    perror(argv[1]);
    return 1;
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  long interval = atol(argv[2]);
  uint64_t next = now_ms();
  static const char *names[] = {"rd_req", "wr_req", "rd_sect", "wr_sect", "f_req", "oo_req"};
  while (!stop_signal) {
    uint64_t t = now_ms();
    int found = 0;
    DIR *d = opendir(DEVICES);
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (strncmp(e->d_name, "vbd-", 4) != 0) continue;
      found = 1;
      fprintf(out, "%llu %s", (unsigned long long)t, e->d_name);
      for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        fprintf(out, " %llu", counter(e->d_name, names[i]));
      fputc('\n', out);
    }
    if (d) closedir(d);
    if (!found) fprintf(out, "%llu -\n", (unsigned long long)t);
    fflush(out);
    next += (uint64_t)interval;
    uint64_t now = now_ms();
    if (next <= now) next = now + 1;  /* fell behind: no burst to catch up */
    struct timespec s = {(time_t)((next - now) / 1000), (long)((next - now) % 1000) * 1000000};
    nanosleep(&s, NULL);
  }
  fclose(out);
  return 0;
}
