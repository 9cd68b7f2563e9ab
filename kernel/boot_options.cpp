#include "kernel/boot_options.h"

#include <string.h>

namespace torpor::boot_options {

namespace {

// start_info's cmd_line is MAX_GUEST_CMDLINE (1024) bytes (xen/include/public/xen.h).
constexpr size_t kMaxCommandLine = 1024;
char saved_line[kMaxCommandLine];

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

OptionValue find(const char* line, const char* key) {
    OptionValue result;
    size_t key_length = strlen(key);
    if (!line || key_length == 0) return result;
    const char* p = line;
    while (*p) {
        while (is_blank(*p)) ++p;
        const char* word = p;
        while (*p && !is_blank(*p)) ++p;
        size_t word_length = size_t(p - word);
        if (word_length < key_length || strncmp(word, key, key_length) != 0) continue;
        if (word_length == key_length) {
            result = {true, word + word_length, 0};
        } else if (word[key_length] == '=') {
            result = {true, word + key_length + 1, word_length - key_length - 1};
        }
    }
    return result;
}

bool OptionValue::is(const char* value) const {
    return found && length == strlen(value) && strncmp(text, value, length) == 0;
}

bool OptionValue::as_decimal(unsigned* out) const {
    if (!found || length == 0 || length > 9) return false;
    unsigned n = 0;
    for (size_t i = 0; i < length; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        n = n * 10 + unsigned(text[i] - '0');
    }
    *out = n;
    return true;
}

bool equals(const char* line, const char* key, const char* value) { return find(line, key).is(value); }

void init(const char* command_line) {
    if (!command_line) command_line = "";
    strncpy(saved_line, command_line, kMaxCommandLine - 1);
    saved_line[kMaxCommandLine - 1] = '\0';
}

const char* command_line() { return saved_line; }

bool is_set_to(const char* key, const char* value) { return equals(saved_line, key, value); }

}  // namespace torpor::boot_options
