// Finding the current Redis master through Redis Sentinel, as redis.io's "Sentinel client
// spec" describes it (steps 1 and 2; step 3, ROLE on the master, is the pool's).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace visiongw::redis {

// A server's host and TCP port.
struct ServerAddress {
    std::string host;
    std::uint16_t port = 0;

    std::string text() const { return host + ":" + std::to_string(port); }
    bool operator==(const ServerAddress&) const = default;
};

// Parses "host:port, host:port, ..." (at least one). Throws sdk::ConfigError naming the entry
// that is not host:port with a port in 1..65535.
std::vector<ServerAddress> parse_sentinel_list(const std::string& text);

// No sentinel named a master: each was unreachable, too slow, refused the login, or did not
// know the master name. The message names every sentinel and what it answered.
class MasterNotFound : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Asks the sentinels, in order, for the address of the master called `master_name`; the first
// one that answers moves to the front of the list for the next time. Thread-safe.
class SentinelResolver {
public:
    // `password` empty: no AUTH to the sentinels.
    SentinelResolver(std::vector<ServerAddress> sentinels, std::string master_name,
                     std::string password);

    // The address the first answering sentinel gives for the master (SENTINEL
    // get-master-addr-by-name). Each sentinel gets an equal share of the time left until
    // `deadline`, so asking all of them ends by then. Throws MasterNotFound.
    ServerAddress master(std::chrono::steady_clock::time_point deadline);

    const std::string& master_name() const { return master_name_; }
    // "a:1, b:2, c:3", in the order they were configured.
    std::string sentinel_list() const;

private:
    // The master as one sentinel names it; throws (Poco::Exception, RedisErrorReply or
    // MasterNotFound for a sentinel that does not know the name).
    ServerAddress ask(const ServerAddress& sentinel, std::chrono::milliseconds timeout) const;
    void move_to_front(const ServerAddress& sentinel);

    const std::vector<ServerAddress> configured_;
    const std::string master_name_;
    const std::string password_;
    mutable std::mutex mutex_;
    std::vector<ServerAddress> order_;  // guarded by mutex_
};

}  // namespace visiongw::redis
