// One thread's connection to a broker of a cluster, kept alive across outages: the one reconnect
// loop of the gateway's rabbitmq plugin and of the worker SDK.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "visiongw/amqp/connection.h"

namespace visiongw::amqp {

// Capped exponential backoff: `first` after the first failed attempt, doubling with each further
// failure up to `max`; reset() after a success starts over. With a `jitter` fraction j > 0 each
// delay is drawn uniformly from [(1 - j) * d, d], so clients that lost the same node do not
// all come back in the same millisecond.
class Backoff {
public:
    Backoff(std::chrono::milliseconds first, std::chrono::milliseconds max, double jitter = 0.0)
        : first_(first), max_(max), jitter_(jitter) {}

    // Counts one more failure; returns the delay before the next attempt.
    std::chrono::milliseconds after_failure();
    void reset() { ladder_ = delay_ = std::chrono::milliseconds(0); }
    // The delay before the next attempt: 0 until a failure.
    std::chrono::milliseconds delay() const { return delay_; }

private:
    std::chrono::milliseconds first_;
    std::chrono::milliseconds max_;
    double jitter_;
    std::chrono::milliseconds ladder_{0};  // the delay before jitter
    std::chrono::milliseconds delay_{0};
};

// What a BrokerLink did, for its owner's log (each side words its own lines).
struct LinkEvent {
    enum class Kind { connected, reconnected, connect_failed, lost };
    Kind kind = Kind::connected;
    std::string endpoint;  // "host:port", never the credentials
    std::string reason;    // connect_failed and lost: the broker's or the socket's error
    std::chrono::milliseconds next_attempt{0};  // connect_failed: the backoff delay
};

// Opens the connection on demand and prepares it (declarations, confirms, consumers), drops it
// after a failure and paces the next attempts with a capped exponential backoff. Each failed
// attempt and each lost connection moves on to the next broker of the list (round robin), since
// the node that failed is likely down; after a lost connection the first attempt is immediate.
// Used by the one thread that owns the connection; broker(), reconnects() and last_error*() may
// be read from any thread.
class BrokerLink {
public:
    using Prepare = std::function<void(AmqpConnection&)>;
    using Report = std::function<void(const LinkEvent&)>;

    BrokerLink(BrokerList brokers, ConnectionOptions options, Backoff backoff, Prepare prepare,
               Report report);
    BrokerLink(const BrokerLink&) = delete;
    BrokerLink& operator=(const BrokerLink&) = delete;

    // The live connection, opened and prepared first if needed; nullptr when that failed (an
    // AmqpError from the connection or from `prepare`), then try again after retry_delay().
    AmqpConnection* connect();
    std::chrono::milliseconds retry_delay() const { return backoff_.delay(); }
    // Forgets a connection that failed with `reason`.
    void drop(const std::string& reason);
    // Closes the connection politely, at shutdown.
    void close();

    // The broker connected to, or tried next.
    const BrokerAddress& broker() const { return brokers_[current_]; }
    const BrokerList& brokers() const { return brokers_; }
    std::uint64_t reconnects() const { return reconnects_; }
    std::string last_error() const;
    // "last error 12 s ago: <reason>" for a health detail; empty when there was none.
    std::string last_error_note() const;

private:
    void note_error(const std::string& reason);
    void move_to_next_broker() { current_ = (current_ + 1) % brokers_.size(); }

    const BrokerList brokers_;
    std::atomic<std::size_t> current_{0};
    ConnectionOptions options_;
    Backoff backoff_;
    Prepare prepare_;
    Report report_;
    std::unique_ptr<AmqpConnection> connection_;
    bool ever_connected_ = false;
    std::atomic<std::uint64_t> reconnects_{0};
    mutable std::mutex error_mutex_;
    std::string last_error_;
    std::chrono::steady_clock::time_point last_error_at_;
};

}  // namespace visiongw::amqp
