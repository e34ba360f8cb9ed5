#include "visiongw/amqp/broker_link.h"

#include <algorithm>
#include <random>
#include <stdexcept>

namespace visiongw::amqp {

std::chrono::milliseconds Backoff::after_failure() {
    ladder_ = std::clamp(ladder_ * 2, first_, std::max(first_, max_));
    delay_ = ladder_;
    if (jitter_ > 0.0) {
        thread_local std::mt19937 random{std::random_device{}()};
        std::uniform_real_distribution<double> share(1.0 - std::min(jitter_, 1.0), 1.0);
        delay_ = std::chrono::milliseconds(
            static_cast<std::int64_t>(static_cast<double>(ladder_.count()) * share(random)));
    }
    return delay_;
}

BrokerLink::BrokerLink(BrokerList brokers, ConnectionOptions options, Backoff backoff,
                       Prepare prepare, Report report)
    : brokers_(brokers.empty() ? throw std::invalid_argument("no broker to connect to")
                               : std::move(brokers)),
      options_(options),
      backoff_(backoff),
      prepare_(std::move(prepare)),
      report_(std::move(report)) {}

AmqpConnection* BrokerLink::connect() {
    if (connection_)
        return connection_.get();
    try {
        auto connection = std::make_unique<AmqpConnection>(broker(), options_);
        prepare_(*connection);
        connection_ = std::move(connection);
    } catch (const AmqpError& error) {
        const auto delay = backoff_.after_failure();
        const std::string failed = broker().endpoint();
        move_to_next_broker();
        note_error(error.what());
        report_({LinkEvent::Kind::connect_failed, failed, error.what(), delay});
        return nullptr;
    }
    backoff_.reset();
    if (ever_connected_)
        ++reconnects_;
    report_({ever_connected_ ? LinkEvent::Kind::reconnected : LinkEvent::Kind::connected,
             broker().endpoint(),
             "",
             {}});
    ever_connected_ = true;
    return connection_.get();
}

void BrokerLink::drop(const std::string& reason) {
    connection_.reset();
    const std::string lost = broker().endpoint();
    move_to_next_broker();
    note_error(reason);
    report_({LinkEvent::Kind::lost, lost, reason, {}});
}

void BrokerLink::close() {
    connection_.reset();
}

std::string BrokerLink::last_error() const {
    std::lock_guard lock(error_mutex_);
    return last_error_;
}

std::string BrokerLink::last_error_note() const {
    std::lock_guard lock(error_mutex_);
    if (last_error_.empty())
        return "";
    const auto age = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::steady_clock::now() - last_error_at_);
    return "last error " + std::to_string(age.count()) + " s ago: " + last_error_;
}

void BrokerLink::note_error(const std::string& reason) {
    std::lock_guard lock(error_mutex_);
    last_error_ = reason;
    last_error_at_ = std::chrono::steady_clock::now();
}

}  // namespace visiongw::amqp
