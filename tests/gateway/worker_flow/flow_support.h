// Shared pieces of the worker flow tests: a fixture that runs a gateway and worker processes
// and talks to them over HTTP, and a broker client for what only a test does by hand.
#pragma once

#include <Poco/JSON/Object.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eventually.h"
#include "gateway_process.h"
#include "gateway_support.h"
#include "json_object.h"
#include "visiongw/amqp/connection.h"
#include "visiongw/amqp/topology.h"
#include "worker_process.h"

namespace visiongw::testing {

using namespace std::chrono_literals;

// JSON text of `value`; objects with their keys sorted, so equal values give equal texts.
std::string json_text(const Poco::Dynamic::Var& value);

// Gateway ini sections for workers with the builtin analyzer and quick retries.
std::map<std::string, std::string> builtin_worker();
// Gateway ini sections for workers with the http analyzer against `service_url`, plus `more`
// lines of [worker].
std::map<std::string, std::string> http_worker(const std::string& service_url,
                                               const std::string& more = "");

// One connection to the test broker, with publisher confirms, using a gateway's topology.
class BrokerClient {
public:
    explicit BrokerClient(const amqp::Topology& topology);

    // Publishes a worker event as a worker would, and waits for the broker's confirm.
    void publish_event(const std::string& json);
    // Publishes a job message with `message_id` to the job exchange; waits for the confirm.
    void publish_job(const std::string& message_id, const std::string& body);
    // Takes one message off the job queue for good (consumed and acknowledged); its body.
    std::string take_job();

private:
    void publish_confirmed(const std::string& exchange, const std::string& routing_key,
                           const std::string& message_id, const std::string& body);

    amqp::Topology topology_;
    amqp::AmqpConnection connection_;
};

class FlowTest : public ::testing::Test {
protected:
    // Starts a gateway whose ini also holds `sections` (section → extra lines; the [worker]
    // section is what the workers read).
    void start_gateway(std::map<std::string, std::string> sections = {});
    // Starts one more visiongw-worker on the gateway's ini file.
    WorkerProcess& start_worker();

    // Submits a `size`×`size` PNG made from `seed` as a pest job; returns the job id.
    std::string submit(unsigned seed, int size = 64);
    // The job as GET answers it.
    Poco::JSON::Object::Ptr job(const std::string& id);
    // Waits until the job has `status` and returns it; throws with the logs when it reached
    // another final state or `timeout` passed.
    Poco::JSON::Object::Ptr wait_for_status(const std::string& id, const std::string& status,
                                            std::chrono::milliseconds timeout = 20s);
    HttpAnswer cancel(const std::string& id);
    // The gateway's log lines that hold every one of `fragments`.
    std::size_t gateway_lines(std::initializer_list<std::string_view> fragments) const;
    // gateway_lines() once one line matches, or after 5 s: a request's access log line is
    // written after its answer was sent.
    std::size_t access_log_lines(std::initializer_list<std::string_view> fragments) const;
    // The gateway's and every worker's output, for failure messages.
    std::string logs() const;

    std::unique_ptr<GatewayProcess> gateway_;
    // Declared after the gateway so that the workers are killed before its folder goes.
    std::vector<std::unique_ptr<WorkerProcess>> workers_;
};

}  // namespace visiongw::testing
