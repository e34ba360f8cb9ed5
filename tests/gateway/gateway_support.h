// Shared by the gateway's black-box tests: what a gateway holds (files, records, queued messages),
// a test consumer of its job queue, a worker-event publisher and unusual HTTP clients (chunked, cut
// short, curl with Expect: 100-continue).
#pragma once

#include <Poco/JSON/Object.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "broker_control.h"
#include "eventually.h"
#include "files.h"
#include "gateway_process.h"
#include "json_object.h"
#include "redis_control.h"
#include "visiongw/amqp/connection.h"
#include "visiongw/amqp/topology.h"

namespace visiongw::testing {

inline constexpr const char* kAnalyzePath = "/api/v1/vision/analyze";
// A job's resource: GET it; DELETE job_path(id) + "/cancel"; GET job_path(id) + "/events".
inline std::string job_path(const std::string& job_id) {
    return "/api/v1/vision/jobs/" + job_id;
}

// A PNG of `make_png(4, 4)` whose IHDR (with a correct CRC) claims `width` x `height`.
std::string png_claiming(std::uint32_t width, std::uint32_t height);

// Everything a request can leave behind in one gateway's services.
struct Footprint {
    std::size_t files = 0;     // regular files under the storage root, temporary ones included
    std::size_t keys = 0;      // Redis keys under the gateway's prefix
    std::size_t messages = 0;  // messages ready in its job queue
    bool operator==(const Footprint&) const = default;
};
// What `later` holds more than `earlier`, field by field (none may have shrunk).
Footprint operator-(const Footprint& later, const Footprint& earlier);
Footprint footprint_of(const GatewayProcess& gateway);
void PrintTo(const Footprint& footprint, std::ostream* out);

// Stops the gateway (when it runs) and resets it, which removes its queues, exchanges and keys.
void stop_and_clean(std::unique_ptr<GatewayProcess>& gateway);

// A form with analysis type `pest` and `image` as `leaf.png`.
MultipartBody leaf_form(const std::string& image);
HttpAnswer submit(const GatewayProcess& gateway, const MultipartBody& form);
// The answer to a body sent with `Transfer-Encoding: chunked`: no size is known up front.
HttpAnswer submit_chunked(const GatewayProcess& gateway, const MultipartBody& form);
// Sends the headers (with the full Content-Length) and the first `bytes` of the body on a raw
// socket, then closes it without waiting for an answer.
void submit_cut_short(const GatewayProcess& gateway, const MultipartBody& form, std::size_t bytes);
// Sends the headers and the first `bytes` of the body like submit_cut_short(), then, without
// sending more or closing, waits up to `timeout` for an answer; returns its status line (empty
// when none came).
std::string answer_to_partial_upload(const GatewayProcess& gateway, const MultipartBody& form,
                                     std::size_t bytes, std::chrono::seconds timeout);
// curl with `Expect: 100-continue`; returns "<status> <bytes of body uploaded>".
std::string curl_expect_continue(const GatewayProcess& gateway, const std::string& image_path);

// Checks a JSON error answer of the API contract; returns its message.
std::string expect_error(const HttpAnswer& answer, int status, const std::string& code);

// A manual-acknowledgement consumer of the gateway's job queue.
class JobQueueReader {
public:
    explicit JobQueueReader(const GatewayProcess& gateway);
    // The message of job `job_id`, acknowledged (as is every other one read before it); fails
    // the test when it does not arrive within `timeout`.
    amqp::Delivery take(const std::string& job_id,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));

private:
    amqp::AmqpConnection connection_;
};

// Publishes a worker event (a JSON object text) to the gateway's event exchange.
void publish_worker_event(const GatewayProcess& gateway, const std::string& event);

// One gateway for all tests of a suite (each ctest process runs one test, so one per test
// there), removed with its broker objects and Redis keys afterwards.
class GatewaySuite : public ::testing::Test {
protected:
    static void start_gateway(std::map<std::string, std::string> sections = {});
    static void TearDownTestSuite();
    void SetUp() override;
    static GatewayProcess& gateway() { return *gateway_; }

private:
    static std::unique_ptr<GatewayProcess> gateway_;
};

}  // namespace visiongw::testing
