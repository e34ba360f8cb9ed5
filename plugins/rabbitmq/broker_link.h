// One thread's connection to the broker, kept alive across outages.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "amqp/amqp_connection.h"
#include "transport_settings.h"

namespace visiongw::rabbitmq {

// Opens the connection on demand and prepares it (declarations, confirms, consumers), drops it
// after a failure and paces the next attempts with a capped exponential backoff, logging every
// connect, loss and failed attempt. Used by the one thread that owns the connection;
// reconnects() and last_error() may be read from any thread.
class BrokerLink {
public:
    using Prepare = std::function<void(amqp::AmqpConnection&)>;

    BrokerLink(const TransportSettings& settings, std::string role, sdk::PluginLog& log,
               Prepare prepare);

    // The live connection, opened and prepared first if needed; nullptr when that failed, then
    // try again after retry_delay().
    amqp::AmqpConnection* connect();
    std::chrono::milliseconds retry_delay() const { return retry_delay_; }
    // Forgets a connection that failed with `reason`.
    void drop(const std::string& reason);
    // Closes the connection politely, at shutdown.
    void close();

    std::uint64_t reconnects() const { return reconnects_; }
    std::string last_error() const;
    // "last error 12 s ago: <reason>" for a health detail; empty when there was none.
    std::string last_error_note() const;

private:
    void note_error(const std::string& reason);

    const TransportSettings& settings_;
    std::string role_;
    sdk::PluginLog& log_;
    Prepare prepare_;
    std::unique_ptr<amqp::AmqpConnection> connection_;
    bool ever_connected_ = false;
    std::chrono::milliseconds retry_delay_{0};
    std::atomic<std::uint64_t> reconnects_{0};
    mutable std::mutex error_mutex_;
    std::string last_error_;
    std::chrono::steady_clock::time_point last_error_at_;
};

}  // namespace visiongw::rabbitmq
