#include "confirming_publisher.h"

#include <pthread.h>

#include <algorithm>
#include <variant>

#include "visiongw/amqp/topology.h"

namespace visiongw::rabbitmq {
namespace {

using namespace std::chrono_literals;

constexpr auto kIdlePoll = 200ms;  // well below any heartbeat interval (at least 1 s)
// While confirms are outstanding, new messages wait for the next broker answer (at most this
// long) and then go out together, so they share the broker's next fsync. Measured with
// scripts/bench/submit: publishing each one at once, 10-20% fewer submits/s; polling without
// waiting, ~40% more gateway CPU per submit (wake-ups preempting request threads); waiting 2 or
// 3 ms, no better than 1 ms.
constexpr auto kConfirmPoll = 1ms;
constexpr auto kFlushTimeout = 2s;  // stop(): time left for in-flight confirms
constexpr int kMaxAnswersPerRound = 512;

}  // namespace

// One caller's message. `done`, `abandoned` and `failure` are guarded by the publisher's mutex;
// `return_reason` belongs to the owner thread. `settled` wakes only its own caller.
struct ConfirmingPublisher::PendingPublish {
    OutgoingMessage message;
    std::condition_variable settled;
    bool done = false;
    bool abandoned = false;  // the caller gave up: never (re)publish it
    bool posted = false;     // no caller waits: a failure is counted and logged here
    std::string failure;     // empty once done: confirmed and routed
    std::string return_reason;
};

ConfirmingPublisher::ConfirmingPublisher(const TransportSettings& settings, sdk::PluginLog& log,
                                         LateMessage on_late_message)
    : settings_(settings),
      log_(log),
      link_(broker_link(settings, "publisher", log,
                        [this](amqp::AmqpConnection& connection) { on_connected(connection); })),
      on_late_message_(std::move(on_late_message)) {}

ConfirmingPublisher::~ConfirmingPublisher() {
    stop();
}

void ConfirmingPublisher::start() {
    std::unique_lock lock(mutex_);
    owner_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "vgw-publisher");  // as top -H and perf show it
        run();
    });
    first_attempt_.wait_for(lock, settings_.connection.connect_timeout * 2 + 1s,
                            [this] { return attempted_; });
}

void ConfirmingPublisher::stop() noexcept {
    {
        std::lock_guard lock(mutex_);
        if (!owner_.joinable())
            return;
        stopping_ = true;
        flush_deadline_ = std::chrono::steady_clock::now() + kFlushTimeout;
    }
    work_ready_.notify_all();
    owner_.join();
}

void ConfirmingPublisher::publish(OutgoingMessage message, std::chrono::milliseconds timeout) {
    auto pending = std::make_shared<PendingPublish>();
    pending->message = std::move(message);
    auto failed = [this](const std::string& reason) {
        ++publish_failures_;
        return sdk::Unavailable(reason);
    };
    std::unique_lock lock(mutex_);
    if (stopping_ || !owner_.joinable())
        throw failed("rabbitmq transport is not running");
    if (!connected_)
        throw failed(unreachable(link_.last_error()));
    queued_.push_back(pending);
    work_ready_.notify_one();
    if (!pending->settled.wait_for(lock, timeout, [&] { return pending->done; })) {
        pending->abandoned = true;
        std::erase(queued_, pending);
        throw failed("rabbitmq " + link_.broker().endpoint() +
                     " did not confirm the message within " + std::to_string(timeout.count()) +
                     " ms");
    }
    if (!pending->failure.empty())
        throw failed(pending->failure);
}

void ConfirmingPublisher::post(OutgoingMessage message) {
    auto pending = std::make_shared<PendingPublish>();
    pending->message = std::move(message);
    pending->posted = true;
    std::lock_guard lock(mutex_);
    if (stopping_)
        return;
    queued_.push_back(std::move(pending));
    work_ready_.notify_one();
}

sdk::Health ConfirmingPublisher::health() const {
    bool connected = false;
    {
        std::lock_guard lock(mutex_);
        connected = connected_;
    }
    if (!connected)
        return {false, unreachable(link_.last_error())};
    const std::string note = link_.last_error_note();
    return {true, "rabbitmq " + link_.broker().endpoint() + " connected, publisher confirms on" +
                      (note.empty() ? "" : " (" + note + ")")};
}

void ConfirmingPublisher::run() {
    for (;;) {
        amqp::AmqpConnection* connection = link_.connect();
        {
            std::unique_lock lock(mutex_);
            if (!attempted_) {
                attempted_ = true;
                first_attempt_.notify_all();
            }
            if (connection == nullptr) {
                if (stopping_)
                    break;
                work_ready_.wait_for(lock, link_.retry_delay(), [this] { return stopping_; });
                continue;
            }
        }
        try {
            publish_queued(*connection);
            read_broker_answers(*connection);
        } catch (const amqp::AmqpError& error) {
            {
                std::lock_guard lock(mutex_);
                connected_ = false;
            }
            link_.drop(error.what());
        }
        if (flushed_or_overdue())
            break;
    }
    fail_everything("rabbitmq transport stopped");
    link_.close();
}

// Prepares a fresh connection and queues every unconfirmed message whose caller still waits,
// oldest first, ahead of newer work.
void ConfirmingPublisher::on_connected(amqp::AmqpConnection& connection) {
    amqp::declare_topology(connection, settings_.topology);
    connection.enable_confirms();
    next_delivery_tag_ = 1;
    std::vector<PendingPtr> late;
    {
        std::lock_guard lock(mutex_);
        for (auto it = in_flight_.rbegin(); it != in_flight_.rend(); ++it) {
            if (!it->second->abandoned)
                queued_.push_front(it->second);
            else
                late.push_back(it->second);
        }
        in_flight_.clear();
        unconfirmed_ = 0;
        connected_ = true;
    }
    report_late(late);
}

void ConfirmingPublisher::publish_queued(amqp::AmqpConnection& connection) {
    std::deque<PendingPtr> batch;
    {
        std::lock_guard lock(mutex_);
        batch.swap(queued_);
    }
    for (; !batch.empty(); batch.pop_front()) {
        PendingPtr& pending = batch.front();
        {
            std::lock_guard lock(mutex_);
            if (pending->abandoned)
                continue;
        }
        const OutgoingMessage& message = pending->message;
        try {
            connection.publish(message.exchange, message.routing_key, message.properties,
                               message.body, true);
        } catch (const amqp::AmqpError&) {
            std::lock_guard lock(mutex_);
            queued_.insert(queued_.begin(), batch.begin(), batch.end());
            throw;
        }
        pending->return_reason.clear();
        in_flight_.emplace(next_delivery_tag_++, std::move(pending));
    }
    unconfirmed_ = in_flight_.size();
}

// Waits briefly for confirms when messages are in flight, else idles on the work queue; then
// handles every answer the broker sent (and its heartbeats).
void ConfirmingPublisher::read_broker_answers(amqp::AmqpConnection& connection) {
    std::chrono::milliseconds first_wait = kConfirmPoll;
    if (in_flight_.empty()) {
        std::unique_lock lock(mutex_);
        work_ready_.wait_for(lock, kIdlePoll, [this] { return !queued_.empty() || stopping_; });
        first_wait = 0ms;
    }
    for (int round = 0; round < kMaxAnswersPerRound; ++round) {
        auto event = connection.next_event(round == 0 ? first_wait : 0ms);
        if (!event)
            break;
        if (const auto* confirm = std::get_if<amqp::PublisherConfirm>(&*event)) {
            settle(confirm->delivery_tag, confirm->multiple, confirm->ack);
        } else if (const auto* returned = std::get_if<amqp::ReturnedMessage>(&*event)) {
            mark_returned(*returned);
        }
    }
    unconfirmed_ = in_flight_.size();
    if (nacked_) {
        // RabbitMQ 3.10 can nack every later publish of a channel whose first publish to a
        // quorum queue met a leader that was down; a new connection (to the next node) does not.
        // A full queue with overflow reject-publish nacks too: the refused messages wait for
        // the broker to take them again, at most as long as their callers wait.
        nacked_ = false;
        throw amqp::AmqpError("the broker refused a message (basic.nack); reconnecting");
    }
}

void ConfirmingPublisher::settle(std::uint64_t delivery_tag, bool multiple, bool ack) {
    auto begin = multiple ? in_flight_.begin() : in_flight_.find(delivery_tag);
    if (begin == in_flight_.end())
        return;
    auto end = multiple ? in_flight_.upper_bound(delivery_tag) : std::next(begin);
    const std::string broker = "rabbitmq " + link_.broker().endpoint();
    std::vector<PendingPtr> late;
    std::vector<std::string> posted_failures;
    std::deque<PendingPtr> refused;
    {
        std::lock_guard lock(mutex_);
        for (auto it = begin; it != end; ++it) {
            PendingPublish& pending = *it->second;
            if (!ack) {
                // Not queued: published again on the next connection while its caller waits.
                nacked_ = true;
                if (!pending.abandoned)
                    refused.push_back(it->second);
                continue;
            }
            pending.done = true;
            if (!pending.return_reason.empty()) {
                pending.failure = broker + " could not route the message: " + pending.return_reason;
            } else if (pending.abandoned) {
                late.push_back(it->second);
            }
            if (pending.posted && !pending.failure.empty())
                posted_failures.push_back(pending.message.properties.message_id + ": " +
                                          pending.failure);
            pending.settled.notify_one();
        }
        queued_.insert(queued_.begin(), refused.begin(), refused.end());
    }
    in_flight_.erase(begin, end);
    for (const std::string& failure : posted_failures) {
        ++publish_failures_;
        log_.write(sdk::LogLevel::error, "posted message lost: " + failure);
    }
    report_late(late);
}

void ConfirmingPublisher::report_late(const std::vector<PendingPtr>& late) {
    if (!on_late_message_)
        return;
    for (const PendingPtr& pending : late) {
        if (auto follow_up = on_late_message_(pending->message))
            post(std::move(*follow_up));
    }
}

// The broker returns an unroutable message just before confirming it: remember why on the
// oldest in-flight message it matches.
void ConfirmingPublisher::mark_returned(const amqp::ReturnedMessage& returned) {
    for (auto& [delivery_tag, pending] : in_flight_) {
        const OutgoingMessage& message = pending->message;
        if (pending->return_reason.empty() && message.exchange == returned.exchange &&
            message.routing_key == returned.routing_key &&
            message.properties.message_id == returned.properties.message_id) {
            pending->return_reason = std::to_string(returned.reply_code) + " " +
                                     returned.reply_text + " (exchange \"" + returned.exchange +
                                     "\", routing key \"" + returned.routing_key + "\")";
            return;
        }
    }
}

bool ConfirmingPublisher::flushed_or_overdue() {
    std::lock_guard lock(mutex_);
    return stopping_ && (!connected_ || (queued_.empty() && in_flight_.empty()) ||
                         std::chrono::steady_clock::now() >= flush_deadline_);
}

void ConfirmingPublisher::fail_everything(const std::string& reason) {
    {
        std::lock_guard lock(mutex_);
        auto fail = [&](PendingPublish& pending) {
            pending.done = true;
            pending.failure = reason;
            pending.settled.notify_one();
        };
        for (const auto& pending : queued_)
            fail(*pending);
        for (const auto& [delivery_tag, pending] : in_flight_)
            fail(*pending);
        queued_.clear();
        in_flight_.clear();
        connected_ = false;
    }
    unconfirmed_ = 0;
}

std::string ConfirmingPublisher::unreachable(const std::string& reason) const {
    return "rabbitmq " + amqp::endpoints(link_.brokers()) +
           (link_.brokers().size() == 1 ? " is" : " are") +
           " unreachable: " + (reason.empty() ? "not connected yet" : reason);
}

}  // namespace visiongw::rabbitmq
