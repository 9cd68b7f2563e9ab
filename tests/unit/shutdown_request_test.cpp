#include "kernel/shutdown_request.h"

#include <gtest/gtest.h>

using torpor::parse_shutdown_request;
using torpor::ShutdownRequest;

TEST(ShutdownRequest, RecognisesTheToolstackValues) {
    EXPECT_EQ(parse_shutdown_request(""), ShutdownRequest::none);
    EXPECT_EQ(parse_shutdown_request("poweroff"), ShutdownRequest::poweroff);
    EXPECT_EQ(parse_shutdown_request("halt"), ShutdownRequest::poweroff);
    EXPECT_EQ(parse_shutdown_request("reboot"), ShutdownRequest::reboot);
    EXPECT_EQ(parse_shutdown_request("suspend"), ShutdownRequest::suspend);
    EXPECT_EQ(parse_shutdown_request("crash"), ShutdownRequest::crash);
}

TEST(ShutdownRequest, AnythingElseIsUnknownNotAPoweroff) {
    EXPECT_EQ(parse_shutdown_request("frobnicate"), ShutdownRequest::unknown);
    EXPECT_EQ(parse_shutdown_request("poweroffx"), ShutdownRequest::unknown);
    EXPECT_EQ(parse_shutdown_request("Poweroff"), ShutdownRequest::unknown);
}
