#include "broker_link.h"

#include <algorithm>

namespace visiongw::rabbitmq {
namespace {
constexpr std::chrono::milliseconds kFirstRetryDelay{100};
}

BrokerLink::BrokerLink(const TransportSettings& settings, std::string role, sdk::PluginLog& log,
                       Prepare prepare)
    : settings_(settings), role_(std::move(role)), log_(log), prepare_(std::move(prepare)) {}

amqp::AmqpConnection* BrokerLink::connect() {
    if (connection_)
        return connection_.get();
    const std::string endpoint = settings_.broker.endpoint();
    try {
        auto connection =
            std::make_unique<amqp::AmqpConnection>(settings_.broker, settings_.connection);
        prepare_(*connection);
        connection_ = std::move(connection);
    } catch (const amqp::AmqpError& error) {
        retry_delay_ =
            std::clamp(retry_delay_ * 2, kFirstRetryDelay, settings_.max_reconnect_backoff);
        note_error(error.what());
        log_.write(sdk::LogLevel::warning, "rabbitmq " + role_ + " cannot connect to " + endpoint +
                                               ": " + error.what() + " (next attempt in " +
                                               std::to_string(retry_delay_.count()) + " ms)");
        return nullptr;
    }
    retry_delay_ = std::chrono::milliseconds(0);
    if (ever_connected_)
        ++reconnects_;
    log_.write(
        sdk::LogLevel::info,
        "rabbitmq " + role_ + (ever_connected_ ? " reconnected to " : " connected to ") + endpoint);
    ever_connected_ = true;
    return connection_.get();
}

void BrokerLink::drop(const std::string& reason) {
    connection_.reset();
    note_error(reason);
    log_.write(sdk::LogLevel::warning, "rabbitmq " + role_ + " lost its connection to " +
                                           settings_.broker.endpoint() + ": " + reason);
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

}  // namespace visiongw::rabbitmq
