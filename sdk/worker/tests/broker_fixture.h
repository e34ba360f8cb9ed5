// A test's own corner of the real broker: a uniquely named topology, declared at the start and
// deleted at the end, plus one connection that publishes like the gateway and watches the
// event and dead-letter queues.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "visiongw/amqp/connection.h"
#include "visiongw/amqp/topology.h"
#include "visiongw/worker/worker.h"

namespace visiongw::worker::testing {

// A worker event as the gateway would receive it.
struct ObservedEvent {
    Poco::JSON::Object::Ptr body;
    std::string request_id;
    std::string traceparent;  // its header; empty when absent
    std::string name() const { return body->getValue<std::string>("event"); }
};

class BrokerFixture : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    // The job message of PROTOCOL.md for the image at `path`; `file_hash` defaults to its own.
    std::string job_message(const std::string& job_id, const std::string& path,
                            const std::string& analysis_type = "disease",
                            std::optional<std::string> file_hash = std::nullopt) const;
    // Publishes like the gateway: persistent, mandatory, message_id = job id,
    // x-request-id = "req-<job id>", and `headers` (a trace's traceparent, tracestate).
    void publish_job(const std::string& job_id, const std::string& body,
                     const std::map<std::string, std::string>& headers = {});
    void publish_cancel(const std::string& job_id);

    // The job's events until one named `last` arrives, or `timeout`.
    std::vector<ObservedEvent> events_until(const std::string& job_id, const std::string& last,
                                            std::chrono::milliseconds timeout);
    // The job's events until a final one (completed/failed) or `timeout`.
    std::vector<ObservedEvent> events_until_final(const std::string& job_id,
                                                  std::chrono::milliseconds timeout);
    // Every event of the job that arrives within `window` (from now on, plus earlier ones).
    std::vector<ObservedEvent> events_within(const std::string& job_id,
                                             std::chrono::milliseconds window);
    std::optional<amqp::Delivery> next_dead_letter(std::chrono::milliseconds timeout);
    // True when nothing is left in the job queue (every job was settled): consumes it for
    // `window`. Stop the workers first.
    bool job_queue_drained(std::chrono::milliseconds window);

    // Stops and starts the broker application (a BrokerOutage of the shared test support); the
    // fixture's own connection is made again.
    void restart_broker();

    WorkerOptions options_;  // unique topology, fast retries, log kept in logged_

private:
    void connect();
    std::vector<ObservedEvent> events_of(const std::string& job_id) const;
    // Reads deliveries for up to `timeout`, filing them; stops early when `done` says so.
    template <typename Done>
    void observe(std::chrono::milliseconds timeout, Done done);

    std::unique_ptr<amqp::AmqpConnection> broker_;
    std::string events_consumer_;
    std::string dead_consumer_;
    std::vector<ObservedEvent> events_;
    std::vector<amqp::Delivery> dead_letters_;
    std::vector<amqp::Delivery> leftover_jobs_;
};

}  // namespace visiongw::worker::testing
