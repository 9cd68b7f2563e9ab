/* blkload NAME: the Linux baseline's side of the bench's storage rows
 * (tools/harness/scenarios/bench.sh), the same load as torpor's demo=blkbench
 * (apps/demo/blk_bench.h) on the disk /sys/block/NAME:
 *   1. sequential O_DIRECT writes for 3 s from offset 0 (wrapping at 32 MiB),
 *      4 MiB per write() (the block layer splits it into requests that are all
 *      in flight at once, as dd bs=4M oflag=direct);
 *   2. 4 KiB O_DIRECT reads at random 4 KiB-aligned offsets, one at a time,
 *      forever.
 * dom0 measures both from blkback's counters; the lines printed here are the
 * guest's own view. The device node is made here (the guest has no devtmpfs
 * or mdev): /dev/NAME from /sys/block/NAME/dev. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (4u << 20)
#define SPAN (32ull << 20)
#define READ_BYTES 4096u
#define WRITE_MS 3000

static uint64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms) {
  struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};
  nanosleep(&t, NULL);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: blkload NAME (e.g. xvda)\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  char path[128], devpath[128];
  unsigned maj = 0, min = 0;
  snprintf(path, sizeof(path), "/sys/block/%s/dev", argv[1]);
  FILE *f = NULL;
  for (int i = 0; i < 200 && !(f = fopen(path, "r")); i++) sleep_ms(50);  /* the probe is asynchronous */
  if (!f || fscanf(f, "%u:%u", &maj, &min) != 2) {
    printf("blkload: no %s within 10 s\n", path);
    return 1;
  }
  fclose(f);
  snprintf(devpath, sizeof(devpath), "/dev/%s", argv[1]);
  if (mknod(devpath, S_IFBLK | 0600, makedev(maj, min)) != 0 && errno != EEXIST) {
    printf("blkload: mknod %s: %s\n", devpath, strerror(errno));
    return 1;
  }
  int fd = open(devpath, O_RDWR | O_DIRECT);
  if (fd < 0) {
    printf("blkload: open %s: %s\n", devpath, strerror(errno));
    return 1;
  }
  off_t size = lseek(fd, 0, SEEK_END);
  if (size < (off_t)SPAN) {
    printf("blkload: %s has %lld bytes, fewer than 32 MiB\n", devpath, (long long)size);
    return 1;
  }
  void *buffer;
  if (posix_memalign(&buffer, 4096, CHUNK) != 0) return 1;
  for (unsigned i = 0; i < CHUNK; i++) ((uint8_t *)buffer)[i] = (uint8_t)(i * 7 + 1);
  printf("blkload: %s %lld MiB; writing for %d ms\n", devpath, (long long)(size >> 20), WRITE_MS);
  uint64_t t0 = now_ms(), bytes = 0, offset = 0;
  while (now_ms() - t0 < WRITE_MS) {
    ssize_t n = pwrite(fd, buffer, CHUNK, (off_t)offset);
    if (n != (ssize_t)CHUNK) {
      printf("blkload: write at %llu: %s\n", (unsigned long long)offset, n < 0 ? strerror(errno) : "short");
      return 1;
    }
    bytes += CHUNK;
    offset = (offset + CHUNK) % SPAN;
  }
  uint64_t ms = now_ms() - t0;
  printf("blkload: wrote %llu MiB in %llu ms (%llu KiB/s, guest clock); now random 4 KiB reads\n",
         (unsigned long long)(bytes >> 20), (unsigned long long)ms,
         (unsigned long long)(ms ? (bytes >> 10) * 1000 / ms : 0));
  uint64_t rng = 0x2545f4914f6cdd1dull, reads = 0, blocks = (uint64_t)size / READ_BYTES;
  t0 = now_ms();
  for (;;) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    uint64_t block = rng % blocks;
    ssize_t n = pread(fd, buffer, READ_BYTES, (off_t)(block * READ_BYTES));
    if (n != (ssize_t)READ_BYTES) {
      printf("blkload: read of block %llu: %s\n", (unsigned long long)block, n < 0 ? strerror(errno) : "short");
      return 1;
    }
    if (++reads % 2000 == 0)
      printf("blkload: %llu reads in %llu ms\n", (unsigned long long)reads,
             (unsigned long long)(now_ms() - t0));
  }
}
