// The demo's HTTP request classifier (apps/demo/http_request.h) on good,
// partial and hostile input.
#include "apps/demo/http_request.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

using namespace torpor::demo::http;

namespace {

Outcome classify(const std::string& s) { return classify_request(s.data(), s.size()); }

}  // namespace

TEST(HttpRequest, GetRootIsTheStatusPage) {
    EXPECT_EQ(classify("GET / HTTP/1.0\r\n\r\n"), Outcome::status_page);
    EXPECT_EQ(classify("GET / HTTP/1.1\r\nHost: torpor\r\nAccept: */*\r\n\r\n"),
              Outcome::status_page);
    EXPECT_EQ(classify("GET / HTTP/1.0\r\nUser-Agent:\tcurl/7.88\r\n\r\n"), Outcome::status_page);
}

TEST(HttpRequest, OtherTargetsAreNotFound) {
    EXPECT_EQ(classify("GET /index.html HTTP/1.0\r\n\r\n"), Outcome::not_found);
    EXPECT_EQ(classify("GET /?x=1 HTTP/1.0\r\n\r\n"), Outcome::not_found);
    EXPECT_EQ(classify("GET // HTTP/1.0\r\n\r\n"), Outcome::not_found);
}

TEST(HttpRequest, OtherMethodsAreNotImplemented) {
    EXPECT_EQ(classify("POST / HTTP/1.0\r\nContent-Length: 0\r\n\r\n"), Outcome::not_implemented);
    EXPECT_EQ(classify("HEAD / HTTP/1.0\r\n\r\n"), Outcome::not_implemented);
}

TEST(HttpRequest, EveryPrefixOfAGoodRequestIsIncomplete) {
    const std::string good = "GET / HTTP/1.0\r\nHost: a\r\n\r\n";
    for (size_t n = 0; n < good.size(); ++n)
        EXPECT_EQ(classify_request(good.data(), n), Outcome::incomplete) << "prefix " << n;
    EXPECT_EQ(classify(good), Outcome::status_page);
}

TEST(HttpRequest, ABodyAfterTheHeadIsIgnored) {
    EXPECT_EQ(classify("GET / HTTP/1.0\r\n\r\n\x01\x02garbage"), Outcome::status_page);
}

TEST(HttpRequest, MalformedRequestLinesAreBad) {
    for (const char* line : {"\r\n\r\n", "GET\r\n\r\n", "GET /\r\n\r\n", "GET / \r\n\r\n",
                             "GET  / HTTP/1.0\r\n\r\n", "get / HTTP/1.0\r\n\r\n",
                             "GET index HTTP/1.0\r\n\r\n", "GET / HTTP/2.0\r\n\r\n",
                             "GET / HTTP/1.0 \r\n\r\n", "GET / HTTP/1.x\r\n\r\n",
                             "GET / http/1.0\r\n\r\n", " GET / HTTP/1.0\r\n\r\n",
                             "GET /\ta HTTP/1.0\r\n\r\n", "GET / HTTP/1.10\r\n\r\n",
                             "ABCDEFGHIJKLMNOPQ / HTTP/1.0\r\n\r\n"}) {
        EXPECT_EQ(classify(line), Outcome::bad_request) << line;
    }
}

TEST(HttpRequest, ABadRequestLineIsBadBeforeTheHeadEnds) {
    EXPECT_EQ(classify("FOO bar\r\n"), Outcome::bad_request);
}

TEST(HttpRequest, MalformedHeaderLinesAreBad) {
    EXPECT_EQ(classify("GET / HTTP/1.0\r\nno colon\r\n\r\n"), Outcome::bad_request);
    EXPECT_EQ(classify("GET / HTTP/1.0\r\n: empty name\r\n\r\n"), Outcome::bad_request);
    EXPECT_EQ(classify("GET / HTTP/1.0\r\nBad Name: x\r\n\r\n"), Outcome::bad_request);
}

TEST(HttpRequest, LinesMustEndInCrLf) {
    EXPECT_EQ(classify("GET / HTTP/1.0\n\n"), Outcome::bad_request);          // bare LF
    EXPECT_EQ(classify("GET / HTTP/1.0\r\r\n\r\n"), Outcome::bad_request);    // bare CR
    EXPECT_EQ(classify("GET / HTTP/1.0\r\nHost: a\n\r\n"), Outcome::bad_request);
    EXPECT_EQ(classify("GET / HTTP/1.0\r"), Outcome::incomplete);  // the LF may follow
}

TEST(HttpRequest, BinaryBytesAreBad) {
    EXPECT_EQ(classify(std::string("GET / HTTP/1.0\r\nX: a\0b\r\n\r\n", 26)), Outcome::bad_request);
    EXPECT_EQ(classify("GET /\x80 HTTP/1.0\r\n\r\n"), Outcome::bad_request);
    EXPECT_EQ(classify("\x16\x03\x01\x02\x00"), Outcome::bad_request);  // a TLS hello
    EXPECT_EQ(classify(std::string(1, '\0')), Outcome::bad_request);
    EXPECT_EQ(classify("GET / HTTP/1.0\x7f"), Outcome::bad_request);
}

TEST(HttpRequest, NoEndOfHeadWithinTheLimitIsTooLarge) {
    EXPECT_EQ(classify(std::string(kMaxRequestBytes - 1, 'A')), Outcome::incomplete);
    EXPECT_EQ(classify(std::string(kMaxRequestBytes, 'A')), Outcome::too_large);
    EXPECT_EQ(classify(std::string(100 * kMaxRequestBytes, 'A')), Outcome::too_large);
    std::string long_header = "GET / HTTP/1.0\r\nX: " + std::string(kMaxRequestBytes, 'x');
    EXPECT_EQ(classify(long_header), Outcome::too_large);
    // The CR of the final CRLF as the limit's last byte: its LF is beyond.
    std::string head = "GET / HTTP/1.0\r\nX: ";
    head += std::string(kMaxRequestBytes - head.size() - 3, 'x') + "\r\n\r";
    ASSERT_EQ(head.size(), kMaxRequestBytes);
    EXPECT_EQ(classify(head + "\n"), Outcome::too_large);
    // One byte shorter, it fits exactly.
    head.erase(head.size() - 4, 1);
    EXPECT_EQ(classify(head + "\n"), Outcome::status_page);
}

TEST(HttpRequest, BytesBeyondTheLimitAreNeverRead) {
    // Only the first kMaxRequestBytes of the buffer are valid memory under ASan.
    std::string head = "GET / HTTP/1.0\r\nX: " + std::string(kMaxRequestBytes, 'x');
    auto* exact = new char[kMaxRequestBytes];
    memcpy(exact, head.data(), kMaxRequestBytes);
    EXPECT_EQ(classify_request(exact, 10 * kMaxRequestBytes), Outcome::too_large);
    delete[] exact;
}

TEST(HttpRequest, RandomBytesNeverCrashAndNeverLookLikeAPage) {
    std::mt19937 rng(42);
    for (int round = 0; round < 20000; ++round) {
        std::string s(rng() % (kMaxRequestBytes + 64), '\0');
        for (auto& c : s) c = char(rng());
        Outcome o = classify(s);
        EXPECT_NE(o, Outcome::status_page);
        EXPECT_NE(o, Outcome::not_found);
    }
    // Random tails after a valid start: any verdict, but no crash or overread.
    for (int round = 0; round < 20000; ++round) {
        std::string s = "GET / HTTP/1.0\r\n";
        size_t extra = rng() % 40;
        for (size_t i = 0; i < extra; ++i) s += "\r\n:ab \t\x01"[rng() % 8];
        (void)classify(s);
    }
}

TEST(HttpRequest, OutcomesHaveNames) {
    EXPECT_STREQ(outcome_name(Outcome::too_large), "too large");
    EXPECT_STREQ(outcome_name(Outcome::status_page), "status page");
}
