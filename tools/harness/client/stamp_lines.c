/* stamp_lines: copies standard input to standard output, each line prefixed
 * with dom0's CLOCK_MONOTONIC in milliseconds and a tab, flushed per line.
 *
 * The bench pipes `xl -vvv remus` through it to time each checkpoint from the
 * toolstack's own log, the same way for every guest: busybox has no `ts`, and
 * a shell loop calling date per line would be slower than the log under TCG.
 * A line longer than the buffer is copied in pieces under one stamp.
 * Exit status 0 at end of input, 1 on a write error.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(void) {
    char line[4096];
    int at_start = 1;
    while (fgets(line, sizeof line, stdin) != NULL) {
        if (at_start && printf("%lld\t", (long long)mono_ms()) < 0) return 1;
        if (fputs(line, stdout) < 0 || fflush(stdout) != 0) return 1;
        at_start = strchr(line, '\n') != NULL;
    }
    return 0;
}
