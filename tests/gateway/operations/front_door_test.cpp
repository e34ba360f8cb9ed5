// The front door against slow and crafted clients, on real sockets: every request of a
// connection has a header deadline; a body must keep a minimum rate after its grace, uploads and
// drains alike, and a drain has one deadline; one address may hold only so many connections;
// heads and framing Poco cannot or should not take get the API's JSON error; a chunked body's
// rest is never read as the next request.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "operations_support.h"

namespace visiongw::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A raw client connection from a chosen loopback address (the whole of 127.0.0.0/8 is local).
class RawClient {
public:
    RawClient(int port, const std::string& source = "127.0.0.1") {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in from{};
        from.sin_family = AF_INET;
        ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(static_cast<std::uint16_t>(port));
        ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
            ::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
            throw std::runtime_error("cannot connect from " + source);
        }
    }
    ~RawClient() { ::close(fd_); }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    // False once the gateway closed the connection (or answered and closed).
    bool send(const std::string& bytes) {
        if (closed_)
            return false;
        take_available();
        if (closed_)
            return false;
        closed_ = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) !=
                  static_cast<ssize_t>(bytes.size());
        return !closed_;
    }

    // Reads what has arrived within `wait`; notes when the gateway closed its side.
    void take_available(std::chrono::milliseconds wait = 0ms) {
        pollfd ready{fd_, POLLIN, 0};
        while (!closed_ && ::poll(&ready, 1, static_cast<int>(wait.count())) > 0) {
            char buffer[4096];
            const ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n <= 0) {
                closed_ = true;
                closed_at_ = Clock::now();
                return;
            }
            received_.append(buffer, static_cast<std::size_t>(n));
            wait = 0ms;
        }
    }

    // Waits up to `limit` for the gateway to close the connection; returns whether it did.
    bool wait_closed(std::chrono::milliseconds limit) {
        const auto end = Clock::now() + limit;
        while (!closed_ && Clock::now() < end)
            take_available(50ms);
        return closed_;
    }

    // Waits until `text` arrived (or the connection closed, or `limit` passed).
    bool wait_for(const std::string& text, std::chrono::milliseconds limit = 5s) {
        const auto end = Clock::now() + limit;
        while (received_.find(text) == std::string::npos && !closed_ && Clock::now() < end)
            take_available(50ms);
        return received_.find(text) != std::string::npos;
    }

    bool closed() const { return closed_; }
    Clock::time_point closed_at() const { return closed_at_; }
    const std::string& received() const { return received_; }

private:
    int fd_ = -1;
    bool closed_ = false;
    Clock::time_point closed_at_;
    std::string received_;
};

// One answer taken from the front of `text`: its status, headers (lower-cased names) and body,
// removed from `text`; status 0 when no whole answer is there.
HttpAnswer take_answer(std::string& text) {
    HttpAnswer answer;
    const auto head_end = text.find("\r\n\r\n");
    if (!text.starts_with("HTTP/1.") || head_end == std::string::npos)
        return answer;
    std::size_t line = text.find("\r\n");
    const int status = std::atoi(text.c_str() + 9);
    while (line < head_end) {
        const std::size_t next = text.find("\r\n", line + 2);
        const std::string field = text.substr(line + 2, next - line - 2);
        const auto colon = field.find(':');
        std::string name = field.substr(0, colon);
        for (char& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        answer.headers[name] = field.substr(field.find_first_not_of(' ', colon + 1));
        line = next;
    }
    const std::string declared = answer.header("content-length");
    const std::size_t length = declared.empty() ? 0 : std::stoul(declared);
    if (text.size() < head_end + 4 + length)
        return HttpAnswer{};
    answer.status = status;
    answer.body = text.substr(head_end + 4, length);
    text.erase(0, head_end + 4 + length);
    return answer;
}

// GET /health from `source` on a new connection; returns how long the answer took (and fails
// the test unless it is 200).
Clock::duration health_from(int port, const std::string& source) {
    const auto start = Clock::now();
    RawClient client(port, source);
    client.send("GET /health HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n");
    client.wait_for("\r\n\r\n", 20s);
    std::string received = client.received();
    client.wait_closed(20s);
    received = client.received();
    EXPECT_EQ(take_answer(received).status, 200) << client.received();
    return Clock::now() - start;
}

std::string ms(Clock::duration duration) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(duration).count()) +
           " ms";
}

// A head that announces a body of `length` bytes to the submit route.
std::string upload_head(std::size_t length) {
    return std::string("POST ") + kAnalyzePath +
           " HTTP/1.1\r\nHost: gateway\r\nContent-Type: multipart/form-data; boundary=b\r\n"
           "Content-Length: " +
           std::to_string(length) + "\r\n\r\n";
}

class FrontDoorTest : public OperationsTest {};

TEST_F(FrontDoorTest, EveryRequestOfAConnectionHasAHeaderDeadline) {
    start_gateway({{"gateway", "header_timeout_seconds = 2\nkeep_alive_seconds = 1\n"}});
    RawClient client(gateway().port());
    client.send("GET /health HTTP/1.1\r\nHost: gateway\r\n\r\n");
    ASSERT_TRUE(client.wait_for("\"status\"")) << client.received();
    // The next request's head, a line every 300 ms: each line well within the read timeout.
    const auto start = Clock::now();
    client.send("GET /health HTTP/1.1\r\n");
    for (int line = 0; line < 30 && client.send("X-Line-" + std::to_string(line) + ": x\r\n");
         ++line) {
        client.take_available(300ms);
    }
    ASSERT_TRUE(client.closed()) << "a second request's head took 9 s, a line at a time";
    EXPECT_GE(client.closed_at() - start, 1500ms);
    EXPECT_LE(client.closed_at() - start, 3500ms) << ms(client.closed_at() - start);
}

TEST_F(FrontDoorTest, ABodyBelowTheMinimumRateIsCutAfterTheGrace) {
    start_gateway(
        {{"gateway",
          "body_grace_seconds = 2\nbody_rate_window_seconds = 1\nmin_body_rate = 1000\n"}});
    RawClient client(gateway().port());
    const auto start = Clock::now();
    client.send(upload_head(100000) + "--b\r\n");
    for (int byte = 0; byte < 100 && client.send("x"); ++byte)
        client.take_available(100ms);
    ASSERT_TRUE(client.closed()) << "a body of 10 bytes a second went on for 10 s";
    EXPECT_GE(client.closed_at() - start, 1500ms);
    EXPECT_LE(client.closed_at() - start, 3500ms) << ms(client.closed_at() - start);
    EXPECT_EQ(gateway().stored_files(), 0u);
}

TEST_F(FrontDoorTest, AnUploadAboveTheMinimumRateIsAccepted) {
    start_gateway(
        {{"gateway",
          "body_grace_seconds = 1\nbody_rate_window_seconds = 1\nmin_body_rate = 1000\n"}});
    const std::string body = leaf_form(make_png(64, 64, 3)).str();
    const MultipartBody form = leaf_form(make_png(64, 64, 3));
    const std::string request =
        std::string("POST ") + kAnalyzePath +
        " HTTP/1.1\r\nHost: gateway\r\nContent-Type: " + form.content_type() +
        "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    RawClient client(gateway().port());
    // 300 bytes every 100 ms: 3,000 bytes a second, for a few seconds.
    for (std::size_t at = 0; at < request.size(); at += 300) {
        ASSERT_TRUE(client.send(request.substr(at, 300))) << "cut at byte " << at;
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(client.wait_for("\r\n\r\n")) << client.received();
    EXPECT_TRUE(client.received().starts_with("HTTP/1.1 202")) << client.received();
}

TEST_F(FrontDoorTest, TheDrainOfAnUnreadBodyHasOneDeadline) {
    start_gateway(
        {{"gateway",
          "body_grace_seconds = 1\nbody_rate_window_seconds = 1\nmin_body_rate = 100\n"}});
    RawClient client(gateway().port());
    // 405 at once; then the body comes at 1,000 bytes a second, ten times the minimum rate.
    client.send("POST /health HTTP/1.1\r\nHost: gateway\r\nContent-Length: 1000000\r\n\r\n");
    ASSERT_TRUE(client.wait_for("method_not_allowed")) << client.received();
    const auto answered = Clock::now();
    for (int step = 0; step < 150 && client.send(std::string(100, 'x')); ++step)
        client.take_available(100ms);
    ASSERT_TRUE(client.closed()) << "the drain took 15 s";
    EXPECT_LE(client.closed_at() - answered, 6500ms) << ms(client.closed_at() - answered);
}

TEST_F(FrontDoorTest, AChunkedBodysRestIsNeverReadAsTheNextRequest) {
    start_gateway();
    const MultipartBody form = leaf_form(make_png(32, 32, 4));
    const std::string body = form.str() + "an epilogue after the closing boundary\r\n";
    std::ostringstream size;
    size << std::hex << body.size();
    RawClient client(gateway().port());
    client.send(std::string("POST ") + kAnalyzePath +
                " HTTP/1.1\r\nHost: gateway\r\nTransfer-Encoding: chunked\r\nContent-Type: " +
                form.content_type() + "\r\n\r\n" + size.str() + "\r\n" + body + "\r\n0\r\n\r\n" +
                "GET /health HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n");
    client.wait_closed(10s);
    std::string received = client.received();
    const HttpAnswer upload = take_answer(received);
    EXPECT_EQ(upload.status, 202) << client.received();
    if (!received.empty()) {  // the connection may also have been closed after the upload
        const HttpAnswer next = take_answer(received);
        EXPECT_EQ(next.status, 200) << "the chunked body's end was read as a request:\n"
                                    << client.received();
    }
}

// T + 8 connections that dribble their heads (or bodies) on a gateway of T threads.
class Dribblers {
public:
    Dribblers(int port, int count, bool body, const std::function<std::string(int)>& source) {
        for (int i = 0; i < count; ++i) {
            clients_.push_back(std::make_unique<RawClient>(port, source(i)));
            clients_.back()->send(body ? upload_head(100000) + "--b\r\n"
                                       : "GET /health HTTP/1.1\r\nHost: gateway\r\n");
        }
        thread_ = std::thread([this] {
            while (!stop_) {
                for (auto& client : clients_)
                    client->send("x");
                std::this_thread::sleep_for(200ms);
            }
        });
    }
    ~Dribblers() { stop(); }
    Dribblers(const Dribblers&) = delete;
    Dribblers& operator=(const Dribblers&) = delete;

    // Stops dribbling; returns the clients to be looked at.
    const std::vector<std::unique_ptr<RawClient>>& stop() {
        stop_ = true;
        if (thread_.joinable())
            thread_.join();
        return clients_;
    }

private:
    std::vector<std::unique_ptr<RawClient>> clients_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

constexpr int kThreads = 8;
const std::string kSmallServer =
    "threads = 8\nmax_event_streams = 2\nmax_connections_per_client = 4\n";

class FrontDoorFloodTest : public FrontDoorTest, public ::testing::WithParamInterface<bool> {};

TEST_P(FrontDoorFloodTest, OneAddressOverItsCapDoesNotDelayOthers) {
    start_gateway({{"gateway", kSmallServer + "header_timeout_seconds = 30\n"}});
    Dribblers flood(gateway().port(), kThreads + 8, GetParam(),
                    [](int) { return std::string("127.0.0.1"); });
    for (int probe = 0; probe < 4; ++probe) {
        std::this_thread::sleep_for(500ms);
        const auto took = health_from(gateway().port(), "127.0.0.2");
        EXPECT_LT(took, 1s) << "GET /health took " << ms(took);
    }
    int refused = 0;
    for (const auto& client : flood.stop()) {
        std::string received = client->received();
        const HttpAnswer answer = take_answer(received);
        if (answer.status == 0)
            continue;
        ++refused;
        EXPECT_EQ(answer.status, 503) << client->received();
        EXPECT_EQ(answer.header("retry-after"), "1");
        EXPECT_EQ(answer.header("content-type"), "application/json");
        EXPECT_NE(answer.body.find("\"code\":\"too_many_connections\""), std::string::npos);
        EXPECT_EQ(answer.header("traceresponse").size(), 55u) << client->received();
        EXPECT_NE(answer.body.find("\"request_id\":\"" + answer.header("x-request-id") + "\""),
                  std::string::npos)
            << answer.body;
    }
    EXPECT_EQ(refused, kThreads + 8 - 4);
}

TEST_P(FrontDoorFloodTest, ManyAddressesAreAllCutWithinTheGraceAndRateWindow) {
    start_gateway(
        {{"gateway", kSmallServer + "header_timeout_seconds = 2\nkeep_alive_seconds = 1\n"
                                    "body_grace_seconds = 2\nbody_rate_window_seconds = 1\n"
                                    "min_body_rate = 1000\n"}});
    const auto start = Clock::now();
    Dribblers flood(gateway().port(), kThreads + 8, GetParam(),
                    [](int i) { return "127.0.0." + std::to_string(10 + i); });
    std::this_thread::sleep_for(3500ms);  // grace + window, and a watchdog tick to spare
    for (const auto& client : flood.stop()) {
        client->take_available();
        EXPECT_TRUE(client->closed()) << "still open after " << ms(Clock::now() - start);
    }
    const auto took = health_from(gateway().port(), "127.0.0.2");
    EXPECT_LT(took, 1s) << "GET /health took " << ms(took);
}

INSTANTIATE_TEST_SUITE_P(HeadsAndBodies, FrontDoorFloodTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Body" : "Head"; });

// A request sent whole on its own connection; the answer, after the gateway closed it.
HttpAnswer raw_request(int port, const std::string& request) {
    RawClient client(port);
    client.send(request);
    client.wait_closed(10s);
    std::string received = client.received();
    return take_answer(received);
}

void expect_json_error(const HttpAnswer& answer, int status, const std::string& code) {
    EXPECT_EQ(answer.status, status) << answer.body;
    EXPECT_EQ(answer.header("content-type"), "application/json");
    EXPECT_FALSE(answer.header("x-request-id").empty());
    EXPECT_EQ(answer.header("traceresponse").size(), 55u) << answer.header("traceresponse");
    EXPECT_NE(answer.body.find("\"code\":\"" + code + "\""), std::string::npos) << answer.body;
    EXPECT_NE(answer.body.find("\"request_id\":\"" + answer.header("x-request-id") + "\""),
              std::string::npos)
        << answer.body;
}

TEST_F(FrontDoorTest, HeadsPocoRefusesGetTheJsonError) {
    start_gateway();
    const int port = gateway().port();
    std::string many_fields = "GET /health HTTP/1.1\r\nHost: gateway\r\n";
    for (int i = 0; i < 120; ++i)
        many_fields += "X-Field-" + std::to_string(i) + ": x\r\n";
    expect_json_error(raw_request(port, many_fields + "\r\n"), 431, "request_header_too_large");
    expect_json_error(
        raw_request(port, "GET /health HTTP/1.1\r\nX-Long: " + std::string(9000, 'a') + "\r\n\r\n"),
        431, "request_header_too_large");
    expect_json_error(raw_request(port, "GET /" + std::string(17000, 'a') + " HTTP/1.1\r\n\r\n"),
                      414, "uri_too_long");
    expect_json_error(raw_request(port, std::string(40, 'Z') + " / HTTP/1.1\r\n\r\n"), 400,
                      "malformed_request");
    expect_json_error(raw_request(port, "GET /health SPDY/3\r\nHost: gateway\r\n\r\n"), 400,
                      "malformed_request");
}

TEST_F(FrontDoorTest, ATargetThatIsNotAUriIs400WithARequestIdAndALogLine) {
    start_gateway();
    const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    const HttpAnswer answer =
        raw_request(gateway().port(),
                    "GET /%zz HTTP/1.1\r\nHost: gateway\r\nX-Request-ID: bad-uri-1\r\n"
                    "traceparent: 00-" +
                        trace_id + "-00f067aa0ba902b7-01\r\n\r\n");
    expect_json_error(answer, 400, "malformed_request");
    EXPECT_EQ(answer.header("x-request-id"), "bad-uri-1");
    EXPECT_EQ(answer.header("traceresponse").substr(3, 32), trace_id);
    EXPECT_TRUE(eventually(
        [&] {
            return count_lines(gateway().output(), {"\"message\":\"request\"", "bad-uri-1",
                                                    "\"status\":400", trace_id}) == 1;
        },
        5s))
        << gateway().output();
}

TEST_F(FrontDoorTest, AContentLengthThatIsNotANumberIs400) {
    start_gateway();
    for (const std::string length : {"-5", "abc", "1,000", "+7", "12 13"}) {
        SCOPED_TRACE("Content-Length: " + length);
        expect_json_error(
            raw_request(gateway().port(), upload_head(0).replace(upload_head(0).find("Length: 0"),
                                                                 9, "Length: " + length)),
            400, "malformed_request");
    }
    expect_json_error(raw_request(gateway().port(),
                                  "POST /health HTTP/1.1\r\nContent-Length: 3\r\n"
                                  "Content-Length: 4\r\n\r\nabcd"),
                      400, "malformed_request");
    expect_json_error(raw_request(gateway().port(),
                                  "POST /health HTTP/1.1\r\nContent-Length: 3\r\n"
                                  "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                      400, "malformed_request");
}

TEST_F(FrontDoorTest, MetricLabelsComeFromAClosedSet) {
    start_gateway();
    const auto series = [&] {
        std::size_t count = 0;
        for (const auto& sample : scrape(gateway()).samples)
            count += sample.name == "visiongw_http_requests_total";
        return count;
    };
    const std::size_t before = series();
    for (int i = 0; i < 40; ++i) {
        const std::string n = std::to_string(i);
        raw_request(
            gateway().port(),
            "INVENTED" + n + " /health HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n");
        raw_request(
            gateway().port(),
            "GET /no/such/path/" + n + " HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n");
    }
    const std::set<std::string> known{"GET",   "HEAD",  "POST",    "PUT",     "DELETE",
                                      "PATCH", "TRACE", "CONNECT", "OPTIONS", "other"};
    const Exposition metrics = scrape(gateway());
    for (const auto& sample : metrics.samples) {
        if (sample.name != "visiongw_http_requests_total")
            continue;
        EXPECT_TRUE(known.count(sample.labels.at("method"))) << sample.labels.at("method");
        EXPECT_FALSE(sample.labels.at("route").starts_with("/no/such"))
            << sample.labels.at("route");
    }
    // The 80 requests fall in two series at most: (unmatched, other, 405), (unmatched, GET, 404).
    EXPECT_LE(series(), before + 3);
    EXPECT_EQ(metrics.value("visiongw_http_requests_total",
                            {{"route", "unmatched"}, {"method", "other"}, {"status", "405"}}),
              40);
}

}  // namespace
}  // namespace visiongw::testing
