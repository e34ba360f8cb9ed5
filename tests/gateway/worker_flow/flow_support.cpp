#include "flow_support.h"

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "broker_control.h"

namespace visiongw::testing {
namespace {

bool is_final(const std::string& status) {
    return status == "completed" || status == "failed" || status == "cancelled";
}

}  // namespace

std::string json_text(const Poco::Dynamic::Var& value) {
    // Parsed again into plain objects, whose keys iterate sorted.
    std::ostringstream given;
    Poco::JSON::Stringifier::stringify(value, given);
    std::ostringstream sorted;
    Poco::JSON::Stringifier::stringify(Poco::JSON::Parser().parse(given.str()), sorted);
    return sorted.str();
}

std::map<std::string, std::string> builtin_worker() {
    return {{"worker", "analyzer = builtin\nmax_retries = 2\nretry_backoff_ms = 100\n"}};
}

std::map<std::string, std::string> http_worker(const std::string& service_url,
                                               const std::string& more) {
    return {{"worker", "analyzer = http\nvision_service_url = " + service_url + "\n" + more}};
}

BrokerClient::BrokerClient(const amqp::Topology& topology)
    : topology_(topology), connection_(connect_test_broker()) {
    connection_.enable_confirms();
}

void BrokerClient::publish_event(const std::string& json) {
    publish_confirmed(topology_.events_exchange, amqp::kEventRoutingKey, "", json);
}

void BrokerClient::publish_job(const std::string& message_id, const std::string& body) {
    publish_confirmed(topology_.exchange, topology_.routing_key, message_id, body);
}

void BrokerClient::publish_confirmed(const std::string& exchange, const std::string& routing_key,
                                     const std::string& message_id, const std::string& body) {
    amqp::MessageProperties properties;
    properties.content_type = "application/json";
    properties.message_id = message_id;
    properties.delivery_mode = amqp::kPersistent;
    properties.headers["x-request-id"] = "worker-flow-test";
    connection_.publish(exchange, routing_key, properties, body, true);
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        auto event = connection_.next_event(100ms);
        if (!event)
            continue;
        if (std::holds_alternative<amqp::ReturnedMessage>(*event)) {
            throw std::runtime_error("the broker could not route a message to " + exchange);
        }
        if (const auto* confirm = std::get_if<amqp::PublisherConfirm>(&*event)) {
            if (!confirm->ack)
                throw std::runtime_error("the broker refused a message");
            return;
        }
    }
    throw std::runtime_error("no publisher confirm within 10 s");
}

std::string BrokerClient::take_job() {
    // A connection of its own: closing it ends the consumer, so it takes nothing else.
    amqp::AmqpConnection consumer = connect_test_broker();
    consumer.set_prefetch(1);
    consumer.consume(topology_.queue);
    if (auto delivery = next_delivery(consumer, 10s)) {
        consumer.ack(delivery->delivery_tag);
        return delivery->body;
    }
    throw std::runtime_error("no job message in " + topology_.queue + " within 10 s");
}

void FlowTest::start_gateway(std::map<std::string, std::string> sections) {
    gateway_ = std::make_unique<GatewayProcess>(std::move(sections));
    gateway_->start();
}

WorkerProcess& FlowTest::start_worker() {
    auto log = std::filesystem::path(gateway_->ini_path()).parent_path() /
               ("worker-" + std::to_string(workers_.size() + 1) + ".log");
    workers_.push_back(std::make_unique<WorkerProcess>(gateway_->ini_path(), log.string()));
    return *workers_.back();
}

std::string FlowTest::submit(unsigned seed, int size) {
    HttpAnswer answer = visiongw::testing::submit(*gateway_, leaf_form(make_png(size, size, seed)));
    if (answer.status != 202) {
        throw std::runtime_error("submit answered " + std::to_string(answer.status) + ": " +
                                 answer.body);
    }
    return parse_object(answer.body)->getValue<std::string>("job_id");
}

Poco::JSON::Object::Ptr FlowTest::job(const std::string& id) {
    HttpAnswer answer = http_request(gateway_->port(), "GET", job_path(id));
    if (answer.status != 200) {
        throw std::runtime_error("GET job answered " + std::to_string(answer.status) + ": " +
                                 answer.body);
    }
    return parse_object(answer.body);
}

Poco::JSON::Object::Ptr FlowTest::wait_for_status(const std::string& id, const std::string& status,
                                                  std::chrono::milliseconds timeout) {
    Poco::JSON::Object::Ptr last;
    eventually(
        [&] {
            last = job(id);
            const auto now = last->getValue<std::string>("status");
            return now == status || is_final(now);
        },
        timeout);
    if (last->getValue<std::string>("status") != status) {
        std::ostringstream text;
        last->stringify(text);
        throw std::runtime_error("job " + id + " did not become " + status + ": " + text.str() +
                                 "\n" + logs());
    }
    return last;
}

HttpAnswer FlowTest::cancel(const std::string& id) {
    return http_request(gateway_->port(), "DELETE", job_path(id) + "/cancel");
}

std::size_t FlowTest::gateway_lines(std::initializer_list<std::string_view> fragments) const {
    return count_lines(gateway_->output(), fragments);
}

std::size_t FlowTest::access_log_lines(std::initializer_list<std::string_view> fragments) const {
    eventually([&] { return gateway_lines(fragments) > 0; }, 5s);
    return gateway_lines(fragments);
}

std::string FlowTest::logs() const {
    std::string text = "--- gateway:\n" + gateway_->output();
    for (std::size_t i = 0; i < workers_.size(); ++i) {
        text += "--- worker " + std::to_string(i + 1) + ":\n" + workers_[i]->output();
    }
    return text;
}

}  // namespace visiongw::testing
