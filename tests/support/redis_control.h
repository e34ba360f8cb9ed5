// Redis servers as a test drives them: the shared test Redis through redis-cli, a server of a
// test's own, and outages of the shared one.
#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <string>

namespace visiongw::testing {

// Runs `redis-cli -p PORT <arguments>` (shell syntax) against the test Redis; its stdout.
std::string redis_cli(const std::string& arguments);
// Deletes the test Redis's keys that start with `prefix`.
void delete_redis_keys(const std::string& prefix);

// A redis-server on 127.0.0.1:`port` started and stopped as scripts/lib/common.sh does: no
// persistence, its pid file and log in `dir`. `extra_args` are more redis-server options
// (`--requirepass SECRET` also makes stop() and answers() authenticate); `config_file`, when
// given, comes first on its command line (a Sentinel needs one: `--sentinel` in extra_args).
class RedisServer {
public:
    RedisServer(std::string port, std::string dir, std::string extra_args = "",
                std::string config_file = "");

    // Starts it and waits until it answers PING; throws std::runtime_error when it does not
    // within 5 s.
    void start();
    // SHUTDOWN NOSAVE, then waits until it no longer answers (at most 5 s); nothing when it is
    // not running.
    void stop();
    bool answers() const;
    // The pid of its pid file; 0 when there is none.
    pid_t pid() const;
    const std::string& port() const { return port_; }

private:
    std::string pid_file() const { return dir_ + "/redis.pid"; }
    std::string cli() const;

    std::string port_;
    std::string dir_;
    std::string extra_args_;
    std::string config_file_;
};

// Whether a write on the Redis at 127.0.0.1:`master_port` reaches a replica within 100 ms
// (SET, WAIT 1 100, DEL on one connection). A replica `state=online` in INFO is not enough:
// after a full sync the master starts streaming to it only on its first ACK, up to a second
// later, and until then WAIT counts no replica.
bool streams_to_a_replica(const std::string& master_port);

// A Redis master, one replica and three Sentinels watching them (quorum 2, down after 1 s,
// failover timeout 5 s), each on a free loopback port in its own folder under `dir`, for
// failover tests. Which data node is the master changes with failovers: ask master_port().
// Stops them all when destroyed.
class RedisSentinelGroup {
public:
    static constexpr const char* kMasterName = "visiongw-test";

    explicit RedisSentinelGroup(std::string dir);
    ~RedisSentinelGroup();
    RedisSentinelGroup(const RedisSentinelGroup&) = delete;
    RedisSentinelGroup& operator=(const RedisSentinelGroup&) = delete;

    // Starts the five servers and waits until settled(); throws std::runtime_error.
    void start();
    // "127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3".
    std::string sentinel_list() const;
    // The data node the first sentinel names as master now; the other one.
    std::string master_port() const;
    std::string replica_port() const;
    // The data node on `port` (the master's or the replica's), to stop, kill or restart.
    RedisServer data_node(const std::string& port, const std::string& replica_of = "") const;
    // Runs redis-cli against 127.0.0.1:`port`; its --raw stdout.
    std::string cli(const std::string& port, const std::string& arguments) const;

    // Waits (at most `timeout`) until every sentinel names the same master, that node says ROLE
    // master, the other replicates from it with its link up, and every sentinel knows two
    // other sentinels and the replica as a healthy one.
    bool settled(std::chrono::milliseconds timeout) const;
    // SENTINEL FAILOVER on the first sentinel: the replica becomes master, and the sentinels
    // make the old master its replica (killing its clients' connections).
    void fail_over() const;
    // Swaps the roles by hand, as an operator might: REPLICAOF NO ONE on the replica,
    // REPLICAOF on the master (whose clients keep their connections, and get READONLY), and
    // the sentinels told with SENTINEL REMOVE and MONITOR. Waits until settled(); throws
    // std::runtime_error.
    void swap_roles_by_hand() const;
    // Tells every sentinel (SENTINEL REMOVE, then MONITOR) that the master is on `port`, right
    // or wrong; does not wait.
    void point_sentinels_at(const std::string& port) const;

    std::string dir_;
    std::array<std::string, 2> data_ports_;
    std::array<std::string, 3> sentinel_ports_;
};

// Shuts the test Redis down for its lifetime, then starts it again in the same folder, as
// scripts/lib/common.sh does. Its data is lost.
class RedisOutage {
public:
    RedisOutage();
    ~RedisOutage();
    RedisOutage(const RedisOutage&) = delete;
    RedisOutage& operator=(const RedisOutage&) = delete;

private:
    RedisServer server_;
};

}  // namespace visiongw::testing
