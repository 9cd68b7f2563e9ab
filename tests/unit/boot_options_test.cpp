#include "kernel/boot_options.h"

#include <gtest/gtest.h>

#include <string>

using namespace torpor;

namespace {

std::string value_of(const char* line, const char* key) {
    auto v = boot_options::find(line, key);
    return v.found ? std::string(v.text, v.length) : std::string("<absent>");
}

}  // namespace

TEST(BootOptions, FindsKeyValueWords) {
    EXPECT_EQ(value_of("balloon=off demo=quiet", "balloon"), "off");
    EXPECT_EQ(value_of("balloon=off demo=quiet", "demo"), "quiet");
    EXPECT_EQ(value_of("  \tdemo=quiet\n", "demo"), "quiet");
}

TEST(BootOptions, AbsentKeysAndPrefixesDoNotMatch) {
    EXPECT_EQ(value_of("", "balloon"), "<absent>");
    EXPECT_EQ(value_of("balloons=off", "balloon"), "<absent>");
    EXPECT_EQ(value_of("noballoon=off", "balloon"), "<absent>");
    EXPECT_EQ(value_of("xballoon", "balloon"), "<absent>");
    EXPECT_FALSE(boot_options::equals("balloon=offx", "balloon", "off"));
    EXPECT_FALSE(boot_options::equals("balloon=of", "balloon", "off"));
}

TEST(BootOptions, BareKeysAndEmptyValues) {
    auto bare = boot_options::find("quiet", "quiet");
    EXPECT_TRUE(bare.found);
    EXPECT_EQ(bare.length, 0u);
    EXPECT_EQ(value_of("demo=", "demo"), "");
}

TEST(BootOptions, DecimalValues) {
    unsigned n = 7;
    EXPECT_TRUE(boot_options::find("a=0 b=325", "b").as_decimal(&n));
    EXPECT_EQ(n, 325u);
    EXPECT_TRUE(boot_options::find("a=0 b=325", "a").as_decimal(&n));
    EXPECT_EQ(n, 0u);
    n = 7;
    EXPECT_FALSE(boot_options::find("a=12x", "a").as_decimal(&n));
    EXPECT_FALSE(boot_options::find("a= b", "a").as_decimal(&n));
    EXPECT_FALSE(boot_options::find("a", "a").as_decimal(&n));
    EXPECT_FALSE(boot_options::find("a=1234567890", "a").as_decimal(&n)) << "10 digits may not fit";
    EXPECT_FALSE(boot_options::find("b=1", "a").as_decimal(&n));
    EXPECT_EQ(n, 7u) << "left alone when false";
}

TEST(BootOptions, LastWordWins) {
    EXPECT_EQ(value_of("balloon=off balloon=on", "balloon"), "on");
    EXPECT_TRUE(boot_options::equals("balloon=on balloon=off", "balloon", "off"));
}

TEST(BootOptions, KernelCopyIsBoundedAndQueried) {
    std::string longline(3000, 'x');
    longline = "balloon=off " + longline;
    boot_options::init(longline.c_str());
    EXPECT_EQ(std::string(boot_options::command_line()).size(), 1023u);
    EXPECT_TRUE(boot_options::is_set_to("balloon", "off"));
    boot_options::init(nullptr);
    EXPECT_STREQ(boot_options::command_line(), "");
    EXPECT_FALSE(boot_options::is_set_to("balloon", "off"));
}
