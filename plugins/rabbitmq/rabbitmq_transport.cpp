#include "rabbitmq_transport.h"

#include "visiongw/protocol/cancel_stream.h"

namespace visiongw::rabbitmq {
namespace {

using namespace std::chrono_literals;

constexpr auto kCancelConfirmTimeout = 5s;

// A persistent JSON message identified by its job, carrying the request id as a header.
OutgoingMessage job_scoped_message(std::string exchange, std::string routing_key,
                                   std::string_view job_id, std::string_view request_id,
                                   std::string body) {
    amqp::MessageProperties properties;
    properties.content_type = "application/json";
    properties.message_id = job_id;
    properties.delivery_mode = amqp::kPersistent;
    properties.headers["x-request-id"] = request_id;
    return OutgoingMessage{std::move(exchange), std::move(routing_key), std::move(properties),
                           std::move(body)};
}

}  // namespace

RabbitmqTransport::~RabbitmqTransport() {
    stop();
}

void RabbitmqTransport::configure(const sdk::PluginConfig& config, sdk::PluginContext& context) {
    settings_ = read_settings(config);
    log_ = &context.log;
}

void RabbitmqTransport::start() {
    if (!settings_)
        throw sdk::ConfigError("rabbitmq transport started before configure()");
    publisher_ = std::make_unique<ConfirmingPublisher>(
        *settings_, *log_, [this](const OutgoingMessage& late) { return cancel_late_job(late); });
    publisher_->start();
    if (sink_ == nullptr) {
        log_->write(sdk::LogLevel::warning,
                    "rabbitmq transport has no event sink: worker events are not consumed");
        return;
    }
    consumer_ = std::make_unique<EventConsumer>(*settings_, *sink_, *log_);
    consumer_->start();
}

void RabbitmqTransport::stop() noexcept {
    consumer_.reset();
    publisher_.reset();
}

sdk::Health RabbitmqTransport::health() {
    if (!publisher_)
        return {false, "rabbitmq transport is not running"};
    return publisher_->health();
}

std::vector<sdk::MetricSample> RabbitmqTransport::metrics() {
    auto value = [](const auto& component, auto read) {
        return component ? static_cast<double>(read(*component)) : 0.0;
    };
    double reconnects = value(publisher_, [](auto& p) { return p.reconnects(); }) +
                        value(consumer_, [](auto& c) { return c.reconnects(); });
    return {
        {"visiongw_rabbitmq_reconnects_total", "Broker reconnections after a lost connection",
         "counter", reconnects},
        {"visiongw_rabbitmq_publish_failures_total",
         "Publishes that failed (broker away, unroutable, nacked or unconfirmed in time)",
         "counter", value(publisher_, [](auto& p) { return p.publish_failures(); })},
        {"visiongw_rabbitmq_unconfirmed_messages", "Messages published and awaiting a confirm",
         "gauge", value(publisher_, [](auto& p) { return p.unconfirmed(); })},
        {"visiongw_rabbitmq_events_consumed_total", "Worker events handed to the job store",
         "counter", value(consumer_, [](auto& c) { return c.events_consumed(); })},
    };
}

ConfirmingPublisher& RabbitmqTransport::running_publisher() {
    if (!publisher_)
        throw sdk::Unavailable("rabbitmq transport is not running");
    return *publisher_;
}

void RabbitmqTransport::publish(const sdk::JobMessage& message,
                                std::chrono::milliseconds deadline) {
    ConfirmingPublisher& publisher = running_publisher();
    const amqp::Topology& topology = settings_->topology;
    OutgoingMessage job = job_scoped_message(topology.exchange, topology.routing_key,
                                             message.job_id, message.request_id, message.body);
    // W3C Trace Context over AMQP: the trace's headers as application properties.
    if (!message.traceparent.empty())
        job.properties.headers["traceparent"] = message.traceparent;
    if (!message.tracestate.empty())
        job.properties.headers["tracestate"] = message.tracestate;
    publisher.publish(std::move(job), deadline);
}

void RabbitmqTransport::broadcast_cancel(std::string_view job_id, std::string_view request_id) {
    ConfirmingPublisher& publisher = running_publisher();
    try {
        publisher.publish(cancel_message(job_id, request_id), kCancelConfirmTimeout);
    } catch (const sdk::Unavailable& e) {
        // Kept until the broker is back; a cancellation read twice changes nothing.
        publisher.post(cancel_message(job_id, request_id));
        throw sdk::Unavailable(std::string(e.what()) +
                               "; the cancellation is sent once the broker is back");
    }
}

OutgoingMessage RabbitmqTransport::cancel_message(std::string_view job_id,
                                                  std::string_view request_id) const {
    return job_scoped_message(settings_->topology.cancel_exchange, "", job_id, request_id,
                              protocol::encode_cancellation(job_id));
}

// A job message the broker may have queued after publish() gave up: the gateway answered 503
// and rolled the job back, so workers are told it is cancelled and skip it.
std::optional<OutgoingMessage> RabbitmqTransport::cancel_late_job(const OutgoingMessage& late) {
    if (late.exchange != settings_->topology.exchange)
        return std::nullopt;
    const std::string& job_id = late.properties.message_id;
    auto found = late.properties.headers.find("x-request-id");
    const std::string request_id = found == late.properties.headers.end() ? "" : found->second;
    log_->write(sdk::LogLevel::warning, "job " + job_id + " (request " + request_id +
                                            ") may have reached the queue after its publish "
                                            "gave up; cancelling it for the workers");
    return cancel_message(job_id, request_id);
}

}  // namespace visiongw::rabbitmq
