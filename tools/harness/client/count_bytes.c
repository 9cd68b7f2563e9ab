/* count_bytes FILE: copies standard input to standard output in 256 KiB
 * reads and, at end of input, writes the number of bytes copied to FILE.
 *
 * The bench's migration transport (scenarios/bench.sh) counts each live
 * migration's stream with it, on its way into `xl migrate-receive`. busybox
 * has nothing that counts a stream fast: `tee` into a fifo read by `wc -c`
 * throttled a 256 MiB stream to ~2.5 MiB/s under TCG, and busybox `dd` does
 * not print the bytes it copied.
 * Exit status 0 at end of input, 1 on a read, write or FILE error.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

static char buffer[256 * 1024];

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: count_bytes FILE\n");
        return 1;
    }
    unsigned long long total = 0;
    for (;;) {
        ssize_t n = read(0, buffer, sizeof buffer);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("count_bytes: read");
            return 1;
        }
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(1, buffer + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                perror("count_bytes: write");
                return 1;
            }
            done += w;
        }
        total += (unsigned long long)n;
    }
    FILE* f = fopen(argv[1], "w");
    if (f == NULL || fprintf(f, "%llu\n", total) < 0 || fclose(f) != 0) {
        perror("count_bytes: FILE");
        return 1;
    }
    return 0;
}
