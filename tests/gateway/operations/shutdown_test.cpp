// Stopping and protecting the server: SIGTERM lets an upload that finishes within the grace
// period get its 202 and aborts one that does not, leaving nothing half-written, and exits 0;
// a client that trickles its request headers is cut off by the header deadline while others
// are served.
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <thread>

#include "operations_support.h"

namespace visiongw::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

Poco::Net::StreamSocket connect_to(const GatewayProcess& gateway) {
    return Poco::Net::StreamSocket(
        Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(gateway.port())));
}

// Sends one request on its own connection at a set pace from a thread, then reads the status
// code of the answer (0 when the connection failed first).
class PacedRequest {
public:
    PacedRequest(const GatewayProcess& gateway, std::string request, std::size_t chunk,
                 std::chrono::milliseconds pause)
        : socket_(connect_to(gateway)), thread_([this, request = std::move(request), chunk, pause] {
              run(request, chunk, pause);
          }) {}
    ~PacedRequest() { status(); }
    PacedRequest(const PacedRequest&) = delete;
    PacedRequest& operator=(const PacedRequest&) = delete;

    // Waits for the request to end.
    int status() {
        if (thread_.joinable())
            thread_.join();
        return status_;
    }

private:
    void run(const std::string& request, std::size_t chunk, std::chrono::milliseconds pause) {
        try {
            for (std::size_t at = 0; at < request.size(); at += chunk) {
                const std::size_t size = std::min(chunk, request.size() - at);
                // MSG_NOSIGNAL: a connection the gateway closed is an error, not a SIGPIPE.
                socket_.sendBytes(request.data() + at, static_cast<int>(size), MSG_NOSIGNAL);
                std::this_thread::sleep_for(pause);
            }
            socket_.setReceiveTimeout(Poco::Timespan(30, 0));
            char status_line[13] = {};  // "HTTP/1.1 202"
            int received = 0;
            while (received < 12) {
                const int n = socket_.receiveBytes(status_line + received, 12 - received);
                if (n <= 0)
                    return;
                received += n;
            }
            status_ = std::atoi(status_line + 9);
        } catch (const Poco::Exception&) {
            // The gateway cut the connection: no answer.
        }
    }

    Poco::Net::StreamSocket socket_;
    int status_ = 0;
    std::thread thread_;
};

// The analyze request for `image`, whole, as it goes over the wire.
std::string analyze_request(const std::string& image) {
    const MultipartBody form = leaf_form(image);
    const std::string body = form.str();
    return std::string("POST ") + kAnalyzePath +
           " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: " +
           form.content_type() + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
           body;
}

class ShutdownTest : public OperationsTest {
protected:
    // Waits until the upload streams into storage (its temporary file exists), then stops the
    // gateway; returns how long stopping took.
    Clock::duration stop_during_upload() {
        EXPECT_TRUE(eventually([&] { return gateway().stored_files() > 0; }, 10s))
            << "the upload never reached storage";
        const auto start = Clock::now();
        EXPECT_EQ(gateway().stop(), 0) << gateway().output();
        return Clock::now() - start;
    }
};

TEST_F(ShutdownTest, AnUploadOutlivingTheGracePeriodIsAbortedWithoutATrace) {
    start_gateway(
        {{"gateway", "shutdown_grace_seconds = 2\n"}, {"upload", "max_file_size = 16777216\n"}});
    // About 8 MB at about 1.3 MB/s: still in flight for seconds after SIGTERM.
    PacedRequest upload(gateway(), analyze_request(make_png(1650, 1650, 5)), 64 * 1024, 50ms);
    const auto stopping = stop_during_upload();
    EXPECT_GE(stopping, 1900ms) << "the upload got no grace period";
    EXPECT_LT(stopping, 6s);
    EXPECT_NE(upload.status(), 202);
    EXPECT_EQ(gateway().stored_files(), 0u) << "a file (or temporary file) was left";
    EXPECT_EQ(gateway().redis_keys(), 0u);
    EXPECT_EQ(gateway().queue_depth(), 0u);
}

TEST_F(ShutdownTest, AnUploadFinishingWithinTheGracePeriodIsAccepted) {
    start_gateway({{"gateway", "shutdown_grace_seconds = 10\n"}});
    // About 1 MB at about 1.3 MB/s.
    PacedRequest upload(gateway(), analyze_request(make_png(580, 580, 6)), 64 * 1024, 50ms);
    stop_during_upload();
    EXPECT_EQ(upload.status(), 202);
    EXPECT_EQ(gateway().stored_files(), 1u);
    EXPECT_EQ(gateway().queue_depth(), 1u);
}

TEST_F(ShutdownTest, AClientTricklingItsHeadersIsCutOffWhileOthersAreServed) {
    start_gateway({{"gateway", "header_timeout_seconds = 3\nkeep_alive_seconds = 1\n"}});
    Poco::Net::StreamSocket slow = connect_to(gateway());
    const auto start = Clock::now();
    const std::string request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    bool closed = false;
    for (std::size_t at = 0; at < request.size() && !closed; ++at) {
        try {
            slow.sendBytes(&request[at], 1, MSG_NOSIGNAL);
        } catch (const Poco::Exception&) {
            closed = true;
            break;
        }
        pollfd ready{slow.impl()->sockfd(), POLLIN, 0};
        if (::poll(&ready, 1, 1000) > 0) {
            char ignored[512];
            closed = ::recv(ready.fd, ignored, sizeof ignored, 0) <= 0;
        }
        if (at == 1) {
            EXPECT_EQ(get("/health").status, 200) << "the slow client blocks others";
        }
    }
    const auto cut_after = Clock::now() - start;
    EXPECT_TRUE(closed) << "the whole request went through, one byte a second";
    EXPECT_GE(cut_after, 2500ms);
    EXPECT_LE(cut_after, 5500ms);
    EXPECT_EQ(get("/health").status, 200);
}

}  // namespace
}  // namespace visiongw::testing
