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
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sentinel_resolver.h"
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
    // Bounds sending and each reply from now on.
    void set_timeout(Poco::Timespan timeout);

private:
    Poco::Net::StreamSocket socket_;
    Poco::Redis::RedisInputStream input_;
};

// Where the pool's connections go: the server of the URL, or the master the sentinels name.
struct PoolSettings {
    RedisEndpoint endpoint;  // with sentinels: only its credentials and database are used
    std::size_t size = 16;
    std::chrono::milliseconds timeout{2000};
    std::vector<ServerAddress> sentinels;  // empty: no Sentinel, the endpoint's host:port
    std::string sentinel_master;
    std::string sentinel_password;
    // How often at most the pool asks the sentinels whether the master changed.
    std::chrono::milliseconds master_check_interval{1000};
    int wait_replicas = 0;  // 0: no WAIT after writes
    std::chrono::milliseconds wait_timeout{200};
};

// A write reached fewer replicas than `wait_replicas` within `wait_timeout` (WAIT). The write
// itself was applied on the master and may be lost by a failover.
class ReplicasBehind : public sdk::Unavailable {
public:
    using sdk::Unavailable::Unavailable;
};

// At most `size` connections, made lazily (connect, AUTH, SELECT) and dropped after any I/O or
// protocol error, so a Redis restart heals without recreating the pool. Every wait — for a
// free connection, to connect, for a reply — is bounded by `timeout`. Thread-safe.
//
// With sentinels, each new connection goes to the master the sentinels name now and is kept
// only when ROLE there says master (else it asks again, until `timeout`). A lost connection,
// a READONLY reply (the master was demoted), a write too few replicas acknowledged, or the
// sentinels naming another master (asked at most every master_check_interval) drops every
// pooled connection, idle ones too, so the next calls resolve the master again.
class RedisConnectionPool {
public:
    explicit RedisConnectionPool(PoolSettings settings);

    // Runs `call(RedisConnection&)` on a connected connection and returns its result. Any
    // failure throws sdk::Unavailable ("redis host:port: what") and counts as an error. A
    // reused connection that fails well before the timeout was closed while idle (e.g. a
    // server restart): the call is retried once on a new connection. So is a call answered
    // READONLY (nothing was written): on a new connection, to the master as resolved again.
    template <typename Call>
    decltype(auto) with_client(Call&& call) {
        for (bool retried = false;; retried = true) {
            Lease lease(*this);
            const auto started = std::chrono::steady_clock::now();
            try {
                return call(lease.connection());
            } catch (const RedisErrorReply& error) {
                if (!is_readonly(error))
                    throw failure(error.what());
                lease.discard();
                drop_all_connections();
                if (retried)
                    throw failure(error.what());
            } catch (const Poco::Exception& error) {
                lease.discard();
                if (sentinel_)
                    drop_all_connections();
                bool closed_while_idle =
                    lease.reused() && std::chrono::steady_clock::now() - started < timeout_ / 2;
                if (retried || !closed_while_idle)
                    throw failure(error.displayText());
            }
        }
    }

    // With wait_replicas > 0, WAIT on `redis` (the connection that just wrote) until that many
    // replicas have the write or wait_timeout passed; fewer throws ReplicasBehind naming the
    // job and `write` (e.g. " change"). Nothing, not even a string built, without wait_replicas.
    void await_replicas(RedisConnection& redis, std::string_view job_id,
                        std::string_view write = {});

    // Closes the idle connections (at stop); connections in use return to the pool as usual.
    void close_idle();

    // "redis host:port" or "redis master 'name' at host:port (from Sentinel)": where calls go.
    std::string target() const;
    bool uses_sentinel() const { return sentinel_ != nullptr; }
    std::uint64_t errors_total() const { return errors_total_; }
    std::size_t open_connections() const { return open_connections_; }
    // Times a newly resolved master differed from the one before (Sentinel failovers seen).
    std::uint64_t master_changes_total() const { return master_changes_total_; }

private:
    // One borrowed connection; goes back to the pool when destroyed unless discarded.
    class Lease {
    public:
        explicit Lease(RedisConnectionPool& pool)
            : pool_(pool), connection_(pool.borrow(reused_, generation_)) {}
        ~Lease() { pool_.give_back(std::move(connection_), generation_); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;

        RedisConnection& connection() { return *connection_; }
        bool reused() const { return reused_; }
        void discard();

    private:
        RedisConnectionPool& pool_;
        bool reused_ = false;
        std::uint64_t generation_ = 0;
        std::unique_ptr<RedisConnection> connection_;
    };

    static bool is_readonly(const RedisErrorReply& error);
    std::unique_ptr<RedisConnection> borrow(bool& reused, std::uint64_t& generation);
    void check_master();
    void give_back(std::unique_ptr<RedisConnection> connection, std::uint64_t generation);
    // Forgets every pooled connection: idle ones close now, leased ones when given back.
    void drop_all_connections();
    void forget_connections();  // drop_all_connections with mutex_ held
    std::unique_ptr<RedisConnection> connect();
    std::unique_ptr<RedisConnection> connect_to_master(
        std::chrono::steady_clock::time_point deadline);
    std::unique_ptr<RedisConnection> log_in(const ServerAddress& address,
                                            std::chrono::milliseconds timeout) const;
    void note_master(const ServerAddress& master);
    sdk::Unavailable failure(const std::string& what);

    const RedisEndpoint endpoint_;
    const std::size_t size_;
    const std::chrono::milliseconds timeout_;
    const std::unique_ptr<SentinelResolver> sentinel_;
    const std::chrono::milliseconds master_check_interval_;
    const int wait_replicas_;
    const std::chrono::milliseconds wait_timeout_;

    mutable std::mutex mutex_;
    std::condition_variable slot_freed_;
    std::vector<std::unique_ptr<RedisConnection>> idle_;  // all of generation_
    std::size_t leased_ = 0;
    std::uint64_t generation_ = 0;         // bumped when every pooled connection is dropped
    std::optional<ServerAddress> master_;  // the master last connected to, with sentinels

    std::atomic<std::uint64_t> errors_total_{0};
    std::atomic<std::size_t> open_connections_{0};
    std::atomic<std::uint64_t> master_changes_total_{0};
    std::atomic<std::chrono::steady_clock::rep> next_master_check_{0};
};

}  // namespace visiongw::redis
