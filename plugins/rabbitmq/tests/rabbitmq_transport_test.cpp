// The rabbitmq transport against a real broker: each test uses its own exchanges and queues.
#include "rabbitmq_transport.h"

#include <Poco/JSON/Object.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "broker_control.h"
#include "eventually.h"
#include "json_object.h"
#include "test_services.h"
#include "visiongw/amqp/connection.h"
#include "visiongw/amqp/topology.h"

namespace visiongw::rabbitmq {
namespace {

using visiongw::testing::eventually;

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class StderrLog : public sdk::PluginLog {
public:
    void write(sdk::LogLevel, std::string_view message) override {
        std::lock_guard lock(mutex_);
        std::cerr << "[rabbitmq] " << message << '\n';
    }

private:
    std::mutex mutex_;
};

// Records every event; `refuse` decides per event whether to throw instead.
class RecordingSink : public sdk::WorkerEventSink {
public:
    std::function<void(std::string_view)> refuse = [](std::string_view) {};

    void on_worker_event(std::string_view json) override {
        std::lock_guard lock(mutex_);
        events_.emplace_back(json);
        arrived_.notify_all();
        refuse(json);
    }

    // The events seen once there are at least `count` (or the timeout passed).
    std::vector<std::string> wait_for(std::size_t count, std::chrono::milliseconds timeout = 10s) {
        std::unique_lock lock(mutex_);
        arrived_.wait_for(lock, timeout, [&] { return events_.size() >= count; });
        return events_;
    }

private:
    std::mutex mutex_;
    std::condition_variable arrived_;
    std::vector<std::string> events_;
};

using testing::next_delivery;
using testing::parse_object;
using testing::rabbitmqctl;

// The ready and the unacknowledged messages of `queue`, as the broker counts them now.
std::pair<long, long> ready_and_unacknowledged(const std::string& queue) {
    std::istringstream lines(
        rabbitmqctl("list_queues name messages_ready messages_unacknowledged"));
    for (std::string line; std::getline(lines, line);) {
        std::istringstream fields(line);
        std::string name;
        long ready = -1, unacknowledged = -1;
        if (fields >> name >> ready >> unacknowledged && name == queue)
            return {ready, unacknowledged};
    }
    ADD_FAILURE() << "rabbitmqctl did not list " << queue;
    return {-1, -1};
}

// Raises a memory alarm, so the broker stops reading from publishing connections, until the
// returned guard is reset; 0.4 is the watermark the test broker runs with.
std::shared_ptr<void> block_publishers() {
    rabbitmqctl("set_vm_memory_high_watermark 0");
    return std::shared_ptr<void>(
        nullptr, [](void*) { EXPECT_NO_THROW(rabbitmqctl("set_vm_memory_high_watermark 0.4")); });
}

std::string started_event(const std::string& job_id) {
    return R"({"schema_version":1,"job_id":")" + job_id + R"(","event":"started"})";
}

class RabbitmqTransportTest : public ::testing::Test {
protected:
    void SetUp() override {
        broker_ = testing::test_broker();
        topology_ = testing::unique_topology();
        options_ = {{"url", testing::amqp_url()},
                    {"exchange", topology_.exchange},
                    {"queue", topology_.queue},
                    {"routing_key", topology_.routing_key},
                    {"queue_type", std::string("classic")},
                    {"delivery_limit", std::int64_t{5}},
                    {"quorum_group_size", std::int64_t{0}},
                    {"message_ttl_ms", std::int64_t{0}},
                    {"events_exchange", topology_.events_exchange},
                    {"events_queue", topology_.events_queue},
                    {"cancel_exchange", topology_.cancel_exchange},
                    {"cancel_stream", topology_.cancel_stream},
                    {"cancel_retention", topology_.cancel_retention},
                    {"heartbeat_seconds", std::int64_t{10}},
                    {"connect_timeout_ms", std::int64_t{1000}},
                    {"max_reconnect_backoff_ms", std::int64_t{500}}};
    }

    void TearDown() override {
        transport_.reset();
        amqp::AmqpConnection connection = connect();
        testing::delete_topology(connection, topology_);
    }

    // Without `consume_events` no consumer thread redeclares what a test deletes.
    RabbitmqTransport& start_transport(bool consume_events = true) {
        transport_ = std::make_unique<RabbitmqTransport>();
        transport_->configure(sdk::PluginConfig("rabbitmq", options_), context_);
        if (consume_events)
            transport_->set_event_sink(sink_);
        transport_->start();
        return *transport_;
    }

    amqp::AmqpConnection connect() { return amqp::AmqpConnection(broker_, {}); }

    std::unique_ptr<amqp::AmqpConnection> consumer_of(const std::string& queue,
                                                      const amqp::FieldTable& arguments = {}) {
        auto connection =
            std::make_unique<amqp::AmqpConnection>(broker_, amqp::ConnectionOptions{});
        connection->set_prefetch(500);
        connection->consume(queue, arguments);
        return connection;
    }

    double metric(const std::string& name) {
        for (const sdk::MetricSample& sample : transport_->metrics()) {
            if (sample.name == name)
                return sample.value;
        }
        ADD_FAILURE() << "no metric " << name;
        return -1;
    }

    amqp::BrokerAddress broker_;
    amqp::Topology topology_;
    std::map<std::string, sdk::OptionValue> options_;
    StderrLog log_;
    sdk::PluginContext context_{log_};
    RecordingSink sink_;
    std::unique_ptr<RabbitmqTransport> transport_;
};

TEST_F(RabbitmqTransportTest, PublishedJobReachesTheQueuePersistentWithItsHeaders) {
    RabbitmqTransport& transport = start_transport();
    ASSERT_TRUE(transport.health().ok) << transport.health().detail;
    const std::string body = R"({"schema_version":1,"job_id":"job-1","note":"ünïcode \" quote"})";

    transport.publish(
        {"job-1", "request-1", body, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
         "congo=t61rcWkgMzE"},
        5s);

    auto consumer = consumer_of(topology_.queue);
    auto delivery = next_delivery(*consumer, 5s);
    ASSERT_TRUE(delivery);
    EXPECT_EQ(delivery->body, body);
    EXPECT_EQ(delivery->properties.delivery_mode, amqp::kPersistent);
    EXPECT_EQ(delivery->properties.content_type, "application/json");
    EXPECT_EQ(delivery->properties.message_id, "job-1");
    EXPECT_EQ(delivery->properties.headers["x-request-id"], "request-1");
    EXPECT_EQ(delivery->properties.headers["traceparent"],
              "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    EXPECT_EQ(delivery->properties.headers["tracestate"], "congo=t61rcWkgMzE");
    EXPECT_EQ(metric("visiongw_rabbitmq_unconfirmed_messages"), 0);
    EXPECT_EQ(metric("visiongw_rabbitmq_publish_failures_total"), 0);
}

TEST_F(RabbitmqTransportTest, ConcurrentPublishesAreAllConfirmedAndArriveOnce) {
    RabbitmqTransport& transport = start_transport();
    constexpr int kThreads = 16;
    constexpr int kMessages = 200;
    std::atomic<int> next{0};
    std::atomic<int> confirmed{0};
    std::vector<std::thread> publishers;
    for (int t = 0; t < kThreads; ++t) {
        publishers.emplace_back([&] {
            for (int i = next++; i < kMessages; i = next++) {
                std::string id = "job-" + std::to_string(i);
                transport.publish({id, "request", R"({"job_id":")" + id + "\"}", "", ""}, 10s);
                ++confirmed;
            }
        });
    }
    for (std::thread& publisher : publishers)
        publisher.join();
    ASSERT_EQ(confirmed, kMessages);

    auto consumer = consumer_of(topology_.queue);
    std::map<std::string, int> seen;
    while (auto delivery = next_delivery(*consumer, 1s))
        ++seen[delivery->properties.message_id];
    ASSERT_EQ(seen.size(), static_cast<std::size_t>(kMessages));
    for (const auto& [id, count] : seen)
        EXPECT_EQ(count, 1) << id;
}

TEST_F(RabbitmqTransportTest, UnroutableJobIsRefused) {
    RabbitmqTransport& transport = start_transport(false);
    connect().delete_queue(topology_.queue);

    auto started = Clock::now();
    EXPECT_THROW(transport.publish({"job-1", "request-1", "{}", "", ""}, 5s), sdk::Unavailable);
    EXPECT_LT(Clock::now() - started, 2s);
    EXPECT_EQ(metric("visiongw_rabbitmq_publish_failures_total"), 1);
    EXPECT_TRUE(transport.health().ok);
}

TEST_F(RabbitmqTransportTest, BrokerOutageFailsFastAndRecoversWithoutRestart) {
    RabbitmqTransport& transport = start_transport();
    ASSERT_TRUE(transport.health().ok);

    std::optional<testing::BrokerOutage> outage(std::in_place);
    ASSERT_TRUE(eventually([&] { return !transport.health().ok; }, 10s));
    auto started = Clock::now();
    try {
        transport.publish({"job-lost", "request-1", "{}", "", ""}, 5s);
        ADD_FAILURE() << "publish succeeded while the broker was stopped";
    } catch (const sdk::Unavailable& error) {
        EXPECT_NE(std::string(error.what()).find("is unreachable"), std::string::npos)
            << error.what();
    }
    EXPECT_LT(Clock::now() - started, 2s);

    outage.reset();
    ASSERT_TRUE(eventually([&] { return transport.health().ok; }, 30s))
        << transport.health().detail;
    // Healthy again, still telling an operator what happened and when.
    const std::string detail = transport.health().detail;
    EXPECT_NE(detail.find("(last error "), std::string::npos) << detail;
    EXPECT_NE(detail.find(" s ago: "), std::string::npos) << detail;
    transport.publish({"job-kept", "request-2", "{}", "", ""}, 5s);
    EXPECT_GE(metric("visiongw_rabbitmq_reconnects_total"), 1);

    auto consumer = consumer_of(topology_.queue);
    auto delivery = next_delivery(*consumer, 5s);
    ASSERT_TRUE(delivery);
    EXPECT_EQ(delivery->properties.message_id, "job-kept");
    EXPECT_FALSE(next_delivery(*consumer, 500ms));
}

TEST_F(RabbitmqTransportTest, RefusedJobIsPublishedAgainWhileItsCallerWaits) {
    RabbitmqTransport& transport = start_transport(false);
    ASSERT_TRUE(transport.health().ok);
    // A full queue that rejects publishes: the broker answers basic.nack.
    std::string pattern = "^" + topology_.queue + "$";
    for (std::size_t dot = pattern.find('.'); dot != std::string::npos;
         dot = pattern.find('.', dot + 2)) {
        pattern.insert(dot, "\\");
    }
    const std::string policy = topology_.queue + ".full";
    rabbitmqctl("set_policy --apply-to queues '" + policy + "' '" + pattern +
                "' '{\"max-length\":0,\"overflow\":\"reject-publish\"}'");
    std::thread lift([&] {
        std::this_thread::sleep_for(1500ms);
        rabbitmqctl("clear_policy '" + policy + "'");
    });

    auto started = Clock::now();
    EXPECT_NO_THROW(transport.publish({"job-refused", "request-1", "{}", "", ""}, 15s));
    lift.join();
    EXPECT_GE(Clock::now() - started, 1s);  // it waited for the queue to take it
    EXPECT_GE(metric("visiongw_rabbitmq_reconnects_total"), 1);

    auto consumer = consumer_of(topology_.queue);
    auto delivery = next_delivery(*consumer, 5s);
    ASSERT_TRUE(delivery);
    EXPECT_EQ(delivery->properties.message_id, "job-refused");
    EXPECT_FALSE(next_delivery(*consumer, 500ms));  // refused copies were never queued
    EXPECT_EQ(metric("visiongw_rabbitmq_publish_failures_total"), 0);
}

TEST_F(RabbitmqTransportTest, IdleConnectionsSurviveHeartbeats) {
    options_["heartbeat_seconds"] = std::int64_t{1};
    RabbitmqTransport& transport = start_transport();

    std::this_thread::sleep_for(3500ms);

    EXPECT_TRUE(transport.health().ok) << transport.health().detail;
    EXPECT_EQ(metric("visiongw_rabbitmq_reconnects_total"), 0);
    transport.publish({"job-1", "request-1", "{}", "", ""}, 5s);
}

// The publisher's confirm poll relies on it: rabbitmq-c rounds the time left down to whole
// milliseconds, which made a 1 ms wait return at once.
TEST_F(RabbitmqTransportTest, NextEventWaitsItsWholeTimeoutWhenNothingComes) {
    amqp::AmqpConnection connection = connect();
    for (auto timeout : {1ms, 2ms, 5ms}) {
        const auto start = Clock::now();
        EXPECT_FALSE(connection.next_event(timeout));
        EXPECT_GE(Clock::now() - start, timeout) << timeout.count() << " ms";
    }
}

TEST_F(RabbitmqTransportTest, WorkerEventReachesTheSink) {
    start_transport();
    const std::string event = started_event("job-1");

    connect().publish(topology_.events_exchange, amqp::kEventRoutingKey, {}, event, true);

    EXPECT_EQ(sink_.wait_for(1), std::vector<std::string>{event});
    EXPECT_TRUE(
        eventually([&] { return metric("visiongw_rabbitmq_events_consumed_total") == 1; }, 5s));
}

TEST_F(RabbitmqTransportTest, EventTheStoreCannotTakeIsRedelivered) {
    std::atomic<int> refusals{0};
    sink_.refuse = [&](std::string_view) {
        if (refusals++ == 0)
            throw sdk::Unavailable("job store down");
    };
    start_transport();
    const std::string event = started_event("job-1");

    connect().publish(topology_.events_exchange, amqp::kEventRoutingKey, {}, event, true);

    EXPECT_EQ(sink_.wait_for(2), (std::vector<std::string>{event, event}));
    EXPECT_TRUE(
        eventually([&] { return metric("visiongw_rabbitmq_events_consumed_total") == 1; }, 5s));
}

// The job store sees one job's events in the order the worker sent them.
TEST_F(RabbitmqTransportTest, EventsOfOneJobAreAppliedInTheirOrder) {
    std::mt19937 random(std::random_device{}());
    std::mutex random_mutex;
    sink_.refuse = [&](std::string_view) {
        std::unique_lock lock(random_mutex);
        auto pause = std::chrono::microseconds(random() % 1000);
        lock.unlock();
        std::this_thread::sleep_for(pause);  // uneven writes: a reordering consumer would show
    };
    start_transport();
    amqp::AmqpConnection publisher = connect();
    const int kEach = 40;
    for (int progress = 1; progress <= kEach; ++progress) {
        for (std::string job : {"job-a", "job-b", "job-c"}) {
            publisher.publish(topology_.events_exchange, amqp::kEventRoutingKey, {},
                              R"({"schema_version":1,"job_id":")" + job +
                                  R"(","event":"progress","progress":)" + std::to_string(progress) +
                                  "}",
                              true);
        }
    }

    auto events = sink_.wait_for(3 * kEach);
    ASSERT_EQ(events.size(), 3u * kEach);
    std::map<std::string, std::vector<int>> applied;
    for (const std::string& event : events) {
        auto body = parse_object(event);
        applied[body->getValue<std::string>("job_id")].push_back(body->getValue<int>("progress"));
    }
    std::vector<int> in_order(kEach);
    std::iota(in_order.begin(), in_order.end(), 1);
    for (const auto& [job, progress] : applied)
        EXPECT_EQ(progress, in_order) << job;
}

// In a burst, each event the sink took is acknowledged and one it could not take is requeued
// and taken again, without losing the connection: once the burst is over, none is left.
TEST_F(RabbitmqTransportTest, EveryEventOfABurstIsSettled) {
    const int kEvents = 200;
    std::set<std::string> refused;
    sink_.refuse = [&](std::string_view event) {
        const std::string job = parse_object(std::string(event))->getValue<std::string>("job_id");
        if ((job == "job-70" || job == "job-140") && refused.insert(job).second)
            throw sdk::Unavailable("job store down");
    };
    start_transport();
    amqp::AmqpConnection publisher = connect();
    for (int n = 0; n < kEvents; ++n) {
        publisher.publish(topology_.events_exchange, amqp::kEventRoutingKey, {},
                          started_event("job-" + std::to_string(n)), true);
    }

    std::map<std::string, int> times_seen;
    for (const std::string& event : sink_.wait_for(kEvents + 2))
        ++times_seen[parse_object(event)->getValue<std::string>("job_id")];
    ASSERT_EQ(times_seen.size(), std::size_t{kEvents});
    for (const auto& [job, times] : times_seen)
        EXPECT_EQ(times, refused.count(job) ? 2 : 1) << job;
    EXPECT_TRUE(eventually(
        [&] {
            return ready_and_unacknowledged(topology_.events_queue) == std::pair{0L, 0L};
        },
        10s));
    EXPECT_EQ(metric("visiongw_rabbitmq_events_consumed_total"), kEvents);
    EXPECT_EQ(metric("visiongw_rabbitmq_reconnects_total"), 0);
}

TEST_F(RabbitmqTransportTest, RejectedJobBecomesAFailedEvent) {
    RabbitmqTransport& transport = start_transport();
    transport.publish({"job-7", "request-1", R"({"schema_version":1,"job_id":"job-7"})", "", ""},
                      5s);

    auto worker = consumer_of(topology_.queue);
    auto job = next_delivery(*worker, 5s);
    ASSERT_TRUE(job);
    worker->nack(job->delivery_tag, false);

    auto events = sink_.wait_for(1);
    ASSERT_EQ(events.size(), 1u);
    auto event = parse_object(events[0]);
    EXPECT_EQ(event->getValue<int>("schema_version"), 1);
    EXPECT_EQ(event->getValue<std::string>("job_id"), "job-7");
    EXPECT_EQ(event->getValue<std::string>("event"), "failed");
    auto error = event->getObject("error");
    EXPECT_EQ(error->getValue<std::string>("code"), "dead_lettered");
    EXPECT_NE(error->getValue<std::string>("message").find("(reason: rejected)"), std::string::npos)
        << events[0];
}

TEST_F(RabbitmqTransportTest, JobTheBrokerTakesAfterItsDeadlineIsCancelledForTheWorkers) {
    RabbitmqTransport& transport = start_transport();
    ASSERT_TRUE(transport.health().ok);
    auto alarm = block_publishers();
    EXPECT_THROW(transport.publish({"job-late", "request-late", "{}", "", ""}, 1s),
                 sdk::Unavailable);
    alarm.reset();

    // The gateway answered 503 and rolled the job back, yet the broker queued the message.
    auto consumer = consumer_of(topology_.queue);
    auto job = next_delivery(*consumer, 10s);
    ASSERT_TRUE(job);
    EXPECT_EQ(job->properties.message_id, "job-late");
    auto reader = consumer_of(topology_.cancel_stream, {{"x-stream-offset", std::string("first")}});
    auto cancel = next_delivery(*reader, 10s);
    ASSERT_TRUE(cancel);
    EXPECT_EQ(cancel->properties.message_id, "job-late");
    EXPECT_EQ(cancel->properties.headers["x-request-id"], "request-late");
    EXPECT_EQ(cancel->body, R"({"schema_version":1,"job_id":"job-late"})");
    EXPECT_FALSE(next_delivery(*reader, 500ms));
}

TEST_F(RabbitmqTransportTest, LateJobsCancellationTheBrokerCannotRouteCountsAsAFailure) {
    RabbitmqTransport& transport = start_transport(false);
    auto alarm = block_publishers();
    EXPECT_THROW(transport.publish({"job-late", "request-late", "{}", "", ""}, 1s),
                 sdk::Unavailable);
    connect().delete_queue(topology_.cancel_stream);  // the cancellation has nowhere to go
    alarm.reset();

    ASSERT_TRUE(
        eventually([&] { return metric("visiongw_rabbitmq_publish_failures_total") >= 2; }, 10s));
    EXPECT_EQ(metric("visiongw_rabbitmq_publish_failures_total"), 2);  // the job, then its cancel
}

TEST_F(RabbitmqTransportTest, JobInFlightWhenItsConnectionDiedAfterItsDeadlineIsCancelled) {
    RabbitmqTransport& transport = start_transport();
    ASSERT_TRUE(transport.health().ok);
    auto alarm = block_publishers();
    EXPECT_THROW(transport.publish({"job-lost", "request-lost", "{}", "", ""}, 1s),
                 sdk::Unavailable);
    rabbitmqctl("close_all_connections test");  // whether the broker had taken it is unknown
    alarm.reset();
    ASSERT_TRUE(eventually([&] { return metric("visiongw_rabbitmq_reconnects_total") >= 1; }, 30s));

    auto reader = consumer_of(topology_.cancel_stream, {{"x-stream-offset", std::string("first")}});
    auto cancel = next_delivery(*reader, 10s);
    ASSERT_TRUE(cancel);
    EXPECT_EQ(cancel->properties.message_id, "job-lost");
    EXPECT_EQ(cancel->properties.headers["x-request-id"], "request-lost");
}

TEST_F(RabbitmqTransportTest, CancellationLandsInTheCancelStream) {
    RabbitmqTransport& transport = start_transport();

    transport.broadcast_cancel("job-9", "request-9");

    auto reader = consumer_of(topology_.cancel_stream, {{"x-stream-offset", std::string("first")}});
    auto cancel = next_delivery(*reader, 5s);
    ASSERT_TRUE(cancel);
    EXPECT_EQ(cancel->properties.message_id, "job-9");
    EXPECT_EQ(cancel->properties.delivery_mode, amqp::kPersistent);
    EXPECT_EQ(cancel->body, R"({"schema_version":1,"job_id":"job-9"})");
}

TEST_F(RabbitmqTransportTest, CancellationDuringAnOutageIsSentWhenTheBrokerIsBack) {
    RabbitmqTransport& transport = start_transport();
    std::optional<testing::BrokerOutage> outage(std::in_place);
    ASSERT_TRUE(eventually([&] { return !transport.health().ok; }, 10s));
    EXPECT_THROW(transport.broadcast_cancel("job-7", "request-7"), sdk::Unavailable);

    outage.reset();
    ASSERT_TRUE(eventually([&] { return transport.health().ok; }, 30s))
        << transport.health().detail;
    auto reader = consumer_of(topology_.cancel_stream, {{"x-stream-offset", std::string("first")}});
    auto cancel = next_delivery(*reader, 10s);
    ASSERT_TRUE(cancel);
    EXPECT_EQ(cancel->properties.message_id, "job-7");
    EXPECT_EQ(cancel->properties.headers["x-request-id"], "request-7");
}

TEST_F(RabbitmqTransportTest, QuorumQueueTakesJobs) {
    options_["queue_type"] = std::string("quorum");
    RabbitmqTransport& transport = start_transport();
    ASSERT_TRUE(transport.health().ok) << transport.health().detail;
    transport.publish({"job-q", "request-1", "{}", "", ""}, 5s);

    auto consumer = consumer_of(topology_.queue);
    auto delivery = next_delivery(*consumer, 5s);
    ASSERT_TRUE(delivery);
    EXPECT_EQ(delivery->properties.message_id, "job-q");
}

TEST_F(RabbitmqTransportTest, StopWithoutStartIsSafe) {
    RabbitmqTransport transport;
    transport.stop();
    EXPECT_FALSE(transport.health().ok);
    EXPECT_THROW(transport.publish({"job-1", "request-1", "{}", "", ""}, 1s), sdk::Unavailable);
}

TEST_F(RabbitmqTransportTest, UnusableConfigurationIsRejected) {
    for (auto [key, value] :
         {std::pair{"queue_type", "fast"}, std::pair{"url", "http://host/"},
          std::pair{"url", "amqp://host:notaport/"}, std::pair{"cancel_retention", "1d"}}) {
        auto options = options_;
        options[key] = std::string(value);
        RabbitmqTransport transport;
        EXPECT_THROW(transport.configure(sdk::PluginConfig("rabbitmq", options), context_),
                     sdk::ConfigError)
            << key << " = " << value;
    }
}

}  // namespace
}  // namespace visiongw::rabbitmq
