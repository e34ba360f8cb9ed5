// Publishes with publisher confirms from one owning thread on behalf of many request threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "transport_settings.h"
#include "visiongw/amqp/broker_link.h"
#include "visiongw/amqp/connection.h"

namespace visiongw::rabbitmq {

// One message to publish mandatory: where it goes and what it carries.
struct OutgoingMessage {
    std::string exchange;
    std::string routing_key;
    amqp::MessageProperties properties;
    std::string body;
};

// Request threads call publish() and wait; the owner thread publishes everything queued, reads
// confirms and returns (so concurrent callers share confirm batches), answers heartbeats while
// idle, and after a lost connection — or a basic.nack, which replaces the connection —
// reconnects and republishes every unconfirmed or refused message whose caller still waits (and
// every posted one). While the broker is known to be away publish() fails at once. publish(),
// post(), health() and the counters are thread-safe.
class ConfirmingPublisher {
public:
    // Called on the owner thread with a message whose caller gave up waiting (publish() timed
    // out) but which the broker may have queued: confirmed after the deadline, or in flight
    // when the connection was lost. Returns a message to post about it, if any.
    using LateMessage = std::function<std::optional<OutgoingMessage>(const OutgoingMessage&)>;

    ConfirmingPublisher(const TransportSettings& settings, sdk::PluginLog& log,
                        LateMessage on_late_message = {});
    ~ConfirmingPublisher();
    ConfirmingPublisher(const ConfirmingPublisher&) = delete;
    ConfirmingPublisher& operator=(const ConfirmingPublisher&) = delete;

    // Starts the owner thread and waits (bounded) for its first connection attempt.
    void start();
    // Lets in-flight confirms finish for a bounded time, fails the rest, closes, joins.
    void stop() noexcept;

    // Returns once the broker confirmed the message and routed it to a queue. Throws
    // sdk::Unavailable when disconnected or stopped, when the broker returned it, or after
    // `timeout` (then the message is never republished); a nacked message is republished
    // until then.
    void publish(OutgoingMessage message, std::chrono::milliseconds timeout);
    // Queues a message no caller waits for: published once connected (again after a lost
    // connection) until stop(). Never blocks on the broker; when the broker refuses or cannot
    // route it, it counts as a publish failure and is logged as an error.
    void post(OutgoingMessage message);

    // ok while the connection is up with confirms enabled.
    sdk::Health health() const;
    std::uint64_t reconnects() const { return link_.reconnects(); }
    std::uint64_t publish_failures() const { return publish_failures_; }
    std::uint64_t unconfirmed() const { return unconfirmed_; }

private:
    struct PendingPublish;
    using PendingPtr = std::shared_ptr<PendingPublish>;

    void run();
    void on_connected(amqp::AmqpConnection& connection);
    void publish_queued(amqp::AmqpConnection& connection);
    void read_broker_answers(amqp::AmqpConnection& connection);
    void settle(std::uint64_t delivery_tag, bool multiple, bool ack);
    void mark_returned(const amqp::ReturnedMessage& returned);
    bool flushed_or_overdue();
    void fail_everything(const std::string& reason);
    void report_late(const std::vector<PendingPtr>& late);
    std::string unreachable(const std::string& reason) const;

    const TransportSettings& settings_;
    sdk::PluginLog& log_;
    amqp::BrokerLink link_;
    LateMessage on_late_message_;

    mutable std::mutex mutex_;
    std::condition_variable work_ready_;     // owner: something queued, or stopping
    std::condition_variable first_attempt_;  // start(): the first connection attempt is over
    std::deque<PendingPtr> queued_;
    bool connected_ = false;
    bool attempted_ = false;  // the first connection attempt is over
    bool stopping_ = false;
    std::chrono::steady_clock::time_point flush_deadline_;

    // Owner thread only: sent on the current channel, by delivery tag, awaiting a confirm.
    std::map<std::uint64_t, PendingPtr> in_flight_;
    std::uint64_t next_delivery_tag_ = 1;
    bool nacked_ = false;  // a nack since the last round: the channel is replaced

    std::atomic<std::uint64_t> publish_failures_{0};
    std::atomic<std::uint64_t> unconfirmed_{0};
    std::thread owner_;
};

}  // namespace visiongw::rabbitmq
