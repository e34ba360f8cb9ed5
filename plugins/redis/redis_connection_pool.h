// A bounded pool of Redis connections that notices dead ones, speaking RESP with Poco::Redis's
// types.
#pragma once

#include <Poco/Exception.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Redis/Array.h>
#include <Poco/Redis/RedisStream.h>
#include <Poco/Redis/Type.h>
#include <Poco/Timespan.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "visiongw/sdk/errors.h"

namespace visiongw::redis {

// Where a Redis server is and how to log in, from a redis:// URL.
struct RedisEndpoint {
    std::string host;
    std::uint16_t port = 6379;
    std::string username;  // empty: AUTH with the password alone
    std::string password;  // empty: no AUTH
    int database = 0;

    std::string address() const { return host + ":" + std::to_string(port); }
};

// Parses redis://[[user]:password@]host[:port][/db]. Throws sdk::ConfigError naming the URL.
RedisEndpoint parse_redis_url(const std::string& url);

// The server answered a command with an error reply; the connection itself is still usable.
class RedisErrorReply : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One connection to a Redis server. A command leaves in one write on a TCP_NODELAY socket:
// Poco::Redis::Client writes through a 1 KiB buffer with Nagle's algorithm on, so the second
// segment of a longer command (a long prompt, a worker's result) waited for the server's
// delayed ACK, ~40 ms. Sending and each reply are bounded by the timeout given at connect.
class RedisConnection {
public:
    // Connects; throws Poco::Exception when it cannot.
    RedisConnection(const Poco::Net::SocketAddress& address, Poco::Timespan timeout);
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    // Sends one command and reads its reply. An error reply throws RedisErrorReply; a lost or
    // timed-out connection throws Poco::Exception.
    Poco::Redis::RedisType::Ptr send(const Poco::Redis::Array& command);

private:
    Poco::Net::StreamSocket socket_;
    Poco::Redis::RedisInputStream input_;
};

// At most `size` connections, made lazily (connect, AUTH, SELECT) and dropped after any I/O or
// protocol error, so a Redis restart heals without recreating the pool. Every wait — for a
// free connection, to connect, for a reply — is bounded by `timeout`. Thread-safe.
class RedisConnectionPool {
public:
    RedisConnectionPool(RedisEndpoint endpoint, std::size_t size,
                        std::chrono::milliseconds timeout);

    // Runs `call(RedisConnection&)` on a connected connection and returns its result. Any
    // failure throws sdk::Unavailable ("redis host:port: what") and counts as an error. A
    // reused connection that fails well before the timeout was closed while idle (e.g. a
    // server restart): the call is retried once on a new connection.
    template <typename Call>
    decltype(auto) with_client(Call&& call) {
        for (bool retried = false;; retried = true) {
            Lease lease(*this);
            const auto started = std::chrono::steady_clock::now();
            try {
                return call(lease.connection());
            } catch (const RedisErrorReply& error) {
                throw failure(error.what());
            } catch (const Poco::Exception& error) {
                lease.discard();
                bool closed_while_idle =
                    lease.reused() && std::chrono::steady_clock::now() - started < timeout_ / 2;
                if (retried || !closed_while_idle)
                    throw failure(error.displayText());
            }
        }
    }

    // Closes the idle connections (at stop); connections in use return to the pool as usual.
    void close_idle();

    const RedisEndpoint& endpoint() const { return endpoint_; }
    std::uint64_t errors_total() const { return errors_total_; }
    std::size_t open_connections() const { return open_connections_; }

private:
    // One borrowed connection; goes back to the pool when destroyed unless discarded.
    class Lease {
    public:
        explicit Lease(RedisConnectionPool& pool)
            : pool_(pool), connection_(pool.borrow(reused_)) {}
        ~Lease() { pool_.give_back(std::move(connection_)); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;

        RedisConnection& connection() { return *connection_; }
        bool reused() const { return reused_; }
        void discard();

    private:
        RedisConnectionPool& pool_;
        bool reused_ = false;
        std::unique_ptr<RedisConnection> connection_;
    };

    std::unique_ptr<RedisConnection> borrow(bool& reused);
    void give_back(std::unique_ptr<RedisConnection> connection);
    std::unique_ptr<RedisConnection> connect() const;
    sdk::Unavailable failure(const std::string& what);

    const RedisEndpoint endpoint_;
    const std::size_t size_;
    const std::chrono::milliseconds timeout_;

    std::mutex mutex_;
    std::condition_variable slot_freed_;
    std::vector<std::unique_ptr<RedisConnection>> idle_;
    std::size_t leased_ = 0;

    std::atomic<std::uint64_t> errors_total_{0};
    std::atomic<std::size_t> open_connections_{0};
};

}  // namespace visiongw::redis
