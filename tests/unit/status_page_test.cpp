// The demo's HTTP responses (apps/demo/status_page.h).
#include "apps/demo/status_page.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace torpor::demo::http;

namespace {

Status sample() {
    Status s{};
    s.uptime_ns = 12'345'678'901;
    s.suspends = 7;
    s.resumed = true;
    s.last_cancelled = false;
    s.last_downtime_ns = 355'400'000;
    s.echo_connections = 4;
    s.http_requests = 9;
    return s;
}

std::string response(Outcome o, const Status& s = sample()) {
    char out[1024];
    size_t n = format_response(o, s, out, sizeof(out));
    return std::string(out, n);
}

std::string body_of(const std::string& r) {
    size_t at = r.find("\r\n\r\n");
    return at == std::string::npos ? "<no head end>" : r.substr(at + 4);
}

}  // namespace

TEST(StatusPage, ShowsUptimeSuspendsAndLastDowntime) {
    char out[512];
    size_t n = format_status_page(sample(), out, sizeof(out));
    EXPECT_EQ(std::string(out, n),
              "torpor demo\n"
              "uptime_ms: 12345\n"
              "suspends: 7\n"
              "last_downtime_ms: 355 (new domain)\n"
              "echo_connections: 4\n"
              "http_requests: 9\n");
}

TEST(StatusPage, BeforeAnySuspendAndAfterACancel) {
    Status s{};
    char out[512];
    std::string page(out, format_status_page(s, out, sizeof(out)));
    EXPECT_NE(page.find("suspends: 0\n"), std::string::npos);
    EXPECT_NE(page.find("last_downtime_ms: none\n"), std::string::npos);
    s = sample();
    s.last_cancelled = true;
    page.assign(out, format_status_page(s, out, sizeof(out)));
    EXPECT_NE(page.find("last_downtime_ms: 355 (cancelled, same domain)\n"), std::string::npos);
}

TEST(StatusPage, HugeValuesStillFit) {
    Status s{~0ull, ~0u, true, true, ~0ull, ~0ull, ~0ull};
    char out[1024];
    EXPECT_GT(format_response(Outcome::status_page, s, out, sizeof(out)), 0u);
}

TEST(StatusPage, ResponseHasHeadersAndAMatchingContentLength) {
    std::string r = response(Outcome::status_page);
    ASSERT_EQ(r.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << r;
    EXPECT_NE(r.find("\r\nContent-Type: text/plain\r\n"), std::string::npos);
    EXPECT_NE(r.find("\r\nConnection: close\r\n"), std::string::npos);
    std::string body = body_of(r);
    EXPECT_NE(r.find("\r\nContent-Length: " + std::to_string(body.size()) + "\r\n"),
              std::string::npos);
    EXPECT_EQ(body.rfind("torpor demo\n", 0), 0u);
}

TEST(StatusPage, ErrorStatuses) {
    EXPECT_EQ(response(Outcome::not_found).rfind("HTTP/1.0 404 Not Found\r\n", 0), 0u);
    EXPECT_EQ(response(Outcome::not_implemented).rfind("HTTP/1.0 501 Not Implemented\r\n", 0), 0u);
    EXPECT_EQ(response(Outcome::bad_request).rfind("HTTP/1.0 400 Bad Request\r\n", 0), 0u);
    EXPECT_EQ(body_of(response(Outcome::too_large)), "400 request too large\n");
    EXPECT_EQ(body_of(response(Outcome::incomplete)), "400 incomplete request\n");
    EXPECT_EQ(status_code(Outcome::too_large), 400);
    // No error page leaks the status.
    EXPECT_EQ(response(Outcome::not_found).find("uptime"), std::string::npos);
}

TEST(StatusPage, TooSmallABufferGivesZeroNotATruncatedResponse) {
    std::string full = response(Outcome::status_page);
    std::vector<char> out(full.size() + 1);
    EXPECT_EQ(format_response(Outcome::status_page, sample(), out.data(), out.size()), full.size());
    for (size_t cap : {size_t(0), size_t(1), size_t(16), full.size() - 1, full.size()})
        EXPECT_EQ(format_response(Outcome::status_page, sample(), out.data(), cap), 0u) << cap;
    char tiny[8];
    EXPECT_EQ(format_status_page(sample(), tiny, sizeof(tiny)), 0u);
}
