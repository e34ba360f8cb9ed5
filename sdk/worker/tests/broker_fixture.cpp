#include "broker_fixture.h"

#include <thread>

#include "broker_control.h"
#include "json_object.h"
#include "test_images.h"
#include "test_services.h"
#include "visiongw/protocol/cancel_stream.h"
#include "visiongw/protocol/job_message.h"

namespace visiongw::worker::testing {
namespace {

std::unique_ptr<amqp::AmqpConnection> connect_to_test_broker() {
    return std::make_unique<amqp::AmqpConnection>(visiongw::testing::test_broker(),
                                                  amqp::ConnectionOptions{});
}

}  // namespace

void BrokerFixture::SetUp() {
    options_.amqp_url = visiongw::testing::amqp_url();
    options_.topology = visiongw::testing::unique_topology();
    options_.max_retries = 2;
    options_.retry_backoff = std::chrono::milliseconds(50);
    options_.max_analysis = std::chrono::seconds(30);
    options_.worker_id = "test-worker";
    connect();
}

void BrokerFixture::connect() {
    broker_ = connect_to_test_broker();
    amqp::declare_topology(*broker_, options_.topology);
    broker_->set_prefetch(100);
    events_consumer_ = broker_->consume(options_.topology.events_queue);
    dead_consumer_ = broker_->consume(options_.topology.dead_letter_queue());
}

void BrokerFixture::restart_broker() {
    broker_.reset();
    {
        visiongw::testing::BrokerOutage outage;  // stop_app now, start_app at the block's end
    }
    // Durable queues, the cancel stream above all, come back a little after the application.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
        try {
            connect();
            return;
        } catch (const amqp::AmqpError&) {
            if (std::chrono::steady_clock::now() > deadline)
                throw;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
}

void BrokerFixture::TearDown() {
    broker_.reset();
    amqp::AmqpConnection cleaner = visiongw::testing::connect_test_broker();
    visiongw::testing::delete_topology(cleaner, options_.topology);
}

std::string BrokerFixture::job_message(const std::string& job_id, const std::string& path,
                                       const std::string& analysis_type,
                                       std::optional<std::string> file_hash) const {
    const bool png = path.ends_with(".png");
    protocol::JobMessage message;
    message.job_id = job_id;
    message.analysis_type = analysis_type;
    message.file_path = path;
    message.file_hash = file_hash.value_or(sha256_of_file(path));
    // The worker reads size and content type; the dimensions are the gateway's information.
    message.metadata = {png ? "png" : "jpeg", 0,      0,
                        size_of_file(path),   "leaf", png ? "image/png" : "image/jpeg"};
    message.parameters = {{"confidence_threshold", 0.6},
                          {"return_details", false},
                          {"custom_prompt", std::monostate{}}};
    message.timestamp = "2026-11-28T17:00:00Z";
    return protocol::encode_job_message(message);
}

void BrokerFixture::publish_job(const std::string& job_id, const std::string& body,
                                const std::map<std::string, std::string>& headers) {
    amqp::MessageProperties properties;
    properties.content_type = "application/json";
    properties.message_id = job_id;
    properties.delivery_mode = amqp::kPersistent;
    properties.headers = headers;
    properties.headers["x-request-id"] = "req-" + job_id;
    broker_->publish(options_.topology.exchange, options_.topology.routing_key, properties, body,
                     true);
}

void BrokerFixture::publish_cancel(const std::string& job_id) {
    amqp::MessageProperties properties;
    properties.content_type = "application/json";
    properties.message_id = job_id;
    properties.delivery_mode = amqp::kPersistent;
    broker_->publish(options_.topology.cancel_exchange, "", properties,
                     protocol::encode_cancellation(job_id), false);
}

template <typename Done>
void BrokerFixture::observe(std::chrono::milliseconds timeout, Done done) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        auto event = broker_->next_event(std::chrono::milliseconds(50));
        if (!event)
            continue;
        auto* delivery = std::get_if<amqp::Delivery>(&*event);
        if (delivery == nullptr)
            continue;
        broker_->ack(delivery->delivery_tag);
        if (delivery->consumer_tag == events_consumer_) {
            const auto& headers = delivery->properties.headers;
            auto header = [&headers](const char* name) {
                auto found = headers.find(name);
                return found == headers.end() ? std::string() : found->second;
            };
            events_.push_back({visiongw::testing::parse_object(delivery->body),
                               header("x-request-id"), header("traceparent")});
        } else if (delivery->consumer_tag == dead_consumer_) {
            dead_letters_.push_back(std::move(*delivery));
        } else {
            leftover_jobs_.push_back(std::move(*delivery));
        }
    }
}

std::vector<ObservedEvent> BrokerFixture::events_of(const std::string& job_id) const {
    std::vector<ObservedEvent> found;
    for (const auto& event : events_) {
        if (event.body->getValue<std::string>("job_id") == job_id)
            found.push_back(event);
    }
    return found;
}

std::vector<ObservedEvent> BrokerFixture::events_until(const std::string& job_id,
                                                       const std::string& last,
                                                       std::chrono::milliseconds timeout) {
    observe(timeout, [&] {
        auto found = events_of(job_id);
        return !found.empty() && found.back().name() == last;
    });
    return events_of(job_id);
}

std::vector<ObservedEvent> BrokerFixture::events_until_final(const std::string& job_id,
                                                             std::chrono::milliseconds timeout) {
    observe(timeout, [&] {
        auto found = events_of(job_id);
        return !found.empty() &&
               (found.back().name() == "completed" || found.back().name() == "failed");
    });
    return events_of(job_id);
}

std::vector<ObservedEvent> BrokerFixture::events_within(const std::string& job_id,
                                                        std::chrono::milliseconds window) {
    observe(window, [] { return false; });
    return events_of(job_id);
}

std::optional<amqp::Delivery> BrokerFixture::next_dead_letter(std::chrono::milliseconds timeout) {
    observe(timeout, [&] { return !dead_letters_.empty(); });
    if (dead_letters_.empty())
        return std::nullopt;
    amqp::Delivery first = std::move(dead_letters_.front());
    dead_letters_.erase(dead_letters_.begin());
    return first;
}

bool BrokerFixture::job_queue_drained(std::chrono::milliseconds window) {
    broker_->consume(options_.topology.queue);
    observe(window, [&] { return !leftover_jobs_.empty(); });
    return leftover_jobs_.empty();
}

}  // namespace visiongw::worker::testing
