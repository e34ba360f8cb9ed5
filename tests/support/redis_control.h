// Redis servers as a test drives them: the shared test Redis through redis-cli, a server of a
// test's own, and outages of the shared one.
#pragma once

#include <sys/types.h>

#include <string>

namespace visiongw::testing {

// Runs `redis-cli -p PORT <arguments>` (shell syntax) against the test Redis; its stdout.
std::string redis_cli(const std::string& arguments);
// Deletes the test Redis's keys that start with `prefix`.
void delete_redis_keys(const std::string& prefix);

// A redis-server on 127.0.0.1:`port` started and stopped as scripts/lib/common.sh does: no
// persistence, its pid file and log in `dir`. `extra_args` are more redis-server options
// (`--requirepass SECRET` also makes stop() and answers() authenticate).
class RedisServer {
public:
    RedisServer(std::string port, std::string dir, std::string extra_args = "");

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
