// The `rabbitmq` queue transport: the gateway side of sdk/PROTOCOL.md.
#pragma once

#include <memory>
#include <optional>

#include "confirming_publisher.h"
#include "event_consumer.h"
#include "transport_settings.h"
#include "visiongw/sdk/queue.h"

namespace visiongw::rabbitmq {

// Publishes jobs and cancellations through one confirming publisher thread and feeds worker
// events to the sink from one consumer thread. start() succeeds with the broker down (publish
// then fails fast with sdk::Unavailable until it is back); stop() is safe without start().
class RabbitmqTransport final : public sdk::QueueTransport {
public:
    ~RabbitmqTransport() override;

    void configure(const sdk::PluginConfig& config, sdk::PluginContext& context) override;
    void start() override;
    void stop() noexcept override;
    sdk::Health health() override;
    std::vector<sdk::MetricSample> metrics() override;

    void set_event_sink(sdk::WorkerEventSink& sink) override { sink_ = &sink; }
    void publish(const sdk::JobMessage& message, std::chrono::milliseconds deadline) override;
    void broadcast_cancel(std::string_view job_id, std::string_view request_id) override;

private:
    ConfirmingPublisher& running_publisher();
    OutgoingMessage cancel_message(std::string_view job_id, std::string_view request_id) const;
    std::optional<OutgoingMessage> cancel_late_job(const OutgoingMessage& late);

    std::optional<TransportSettings> settings_;
    sdk::PluginLog* log_ = nullptr;
    sdk::WorkerEventSink* sink_ = nullptr;
    std::unique_ptr<ConfirmingPublisher> publisher_;
    std::unique_ptr<EventConsumer> consumer_;
};

}  // namespace visiongw::rabbitmq
