// Feeds worker events and dead-lettered jobs from the broker into the gateway's event sink.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "transport_settings.h"
#include "visiongw/amqp/broker_link.h"
#include "visiongw/amqp/connection.h"
#include "visiongw/sdk/queue.h"

namespace visiongw::rabbitmq {

// Owns one thread and its connection, consuming the event queue and the dead-letter queue with
// manual acknowledgements. A message is acknowledged once the sink returned; requeued (after a
// short pause) when the sink throws sdk::Unavailable; logged and acknowledged when it throws
// anything else, so a poison message cannot loop. Dead-lettered jobs become `failed` events
// with code `dead_lettered`. Reconnects with backoff like the publisher.
class EventConsumer {
public:
    EventConsumer(const TransportSettings& settings, sdk::WorkerEventSink& sink,
                  sdk::PluginLog& log);
    ~EventConsumer();
    EventConsumer(const EventConsumer&) = delete;
    EventConsumer& operator=(const EventConsumer&) = delete;

    void start();
    void stop() noexcept;

    std::uint64_t reconnects() const { return link_.reconnects(); }
    std::uint64_t events_consumed() const { return events_consumed_; }

private:
    void run();
    void on_connected(amqp::AmqpConnection& connection);
    void handle(amqp::AmqpConnection& connection, const amqp::Delivery& delivery);
    // Sleeps up to `delay`; false when stop() was called.
    bool pause(std::chrono::milliseconds delay);
    // False once stop() was called. Never sleeps: a condition variable's wait_for(0ms) went
    // through the scheduler each time, which halved the events applied a second.
    bool running();

    const TransportSettings& settings_;
    sdk::WorkerEventSink& sink_;
    sdk::PluginLog& log_;
    amqp::BrokerLink link_;
    std::string dead_letter_consumer_;  // consumer tag of the dead-letter queue

    std::mutex mutex_;
    std::condition_variable stop_requested_;
    bool stopping_ = false;
    std::atomic<std::uint64_t> events_consumed_{0};
    std::thread owner_;
};

}  // namespace visiongw::rabbitmq
