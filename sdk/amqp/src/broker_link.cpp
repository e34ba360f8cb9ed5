#include "visiongw/amqp/broker_link.h"

#include <algorithm>

namespace visiongw::amqp {

std::chrono::milliseconds Backoff::after_failure() {
    delay_ = std::clamp(delay_ * 2, first_, std::max(first_, max_));
    return delay_;
}

BrokerLink::BrokerLink(BrokerAddress broker, ConnectionOptions options, Backoff backoff,
                       Prepare prepare, Report report)
    : broker_(std::move(broker)),
      options_(options),
      backoff_(backoff),
      prepare_(std::move(prepare)),
      report_(std::move(report)) {}

AmqpConnection* BrokerLink::connect() {
    if (connection_)
        return connection_.get();
    try {
        auto connection = std::make_unique<AmqpConnection>(broker_, options_);
        prepare_(*connection);
        connection_ = std::move(connection);
    } catch (const AmqpError& error) {
        const auto delay = backoff_.after_failure();
        note_error(error.what());
        report_({LinkEvent::Kind::connect_failed, broker_.endpoint(), error.what(), delay});
        return nullptr;
    }
    backoff_.reset();
    if (ever_connected_)
        ++reconnects_;
    report_({ever_connected_ ? LinkEvent::Kind::reconnected : LinkEvent::Kind::connected,
             broker_.endpoint(),
             "",
             {}});
    ever_connected_ = true;
    return connection_.get();
}

void BrokerLink::drop(const std::string& reason) {
    connection_.reset();
    note_error(reason);
    report_({LinkEvent::Kind::lost, broker_.endpoint(), reason, {}});
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
