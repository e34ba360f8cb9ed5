#include "redis_control.h"

#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "eventually.h"
#include "processes.h"
#include "test_services.h"

namespace visiongw::testing {
namespace {

using namespace std::chrono_literals;

// The test Redis's folder: the second line of `redis-cli --raw config get dir`.
std::string test_redis_dir() {
    std::istringstream lines(redis_cli("--raw config get dir"));
    std::string line;
    std::getline(lines, line);
    std::getline(lines, line);
    if (line.empty())
        throw std::runtime_error("cannot read the test Redis's folder");
    return line;
}

// The lines of `text` without their line ends.
std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        lines.push_back(line);
    }
    return lines;
}

// In a flat key, value, key, value... reply (SENTINEL MASTER, a SENTINEL REPLICAS entry), the
// value after `key`; empty when there is none.
std::string value_after(const std::vector<std::string>& lines, const std::string& key) {
    for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
        if (lines[i] == key)
            return lines[i + 1];
    }
    return "";
}

}  // namespace

std::string redis_cli(const std::string& arguments) {
    return command_output("redis-cli -p " + redis_port() + " " + arguments + " 2>/dev/null");
}

void delete_redis_keys(const std::string& prefix) {
    redis_cli("--scan --pattern " + shell_quote(prefix + "*") + " | xargs -r redis-cli -p " +
              redis_port() + " del >/dev/null");
}

bool streams_to_a_replica(const std::string& master_port) {
    const std::string answers = command_output(
        "printf 'SET visiongw-replica-probe 1\\nWAIT 1 100\\nDEL visiongw-replica-probe\\n' | "
        "redis-cli -p " +
        master_port + " 2>/dev/null");
    return answers.find("OK\n1\n") != std::string::npos;
}

RedisServer::RedisServer(std::string port, std::string dir, std::string extra_args,
                         std::string config_file)
    : port_(std::move(port)),
      dir_(std::move(dir)),
      extra_args_(std::move(extra_args)),
      config_file_(std::move(config_file)) {}

std::string RedisServer::cli() const {
    std::string command = "redis-cli -p " + port_;
    auto at = extra_args_.find("--requirepass ");
    if (at != std::string::npos)
        command += " -a " + extra_args_.substr(at + 14) + " --no-auth-warning";
    return command;
}

void RedisServer::start() {
    const std::string command =
        "redis-server " + (config_file_.empty() ? "" : shell_quote(config_file_) + " ") +
        "--bind 127.0.0.1 --port " + port_ + " --dir " + shell_quote(dir_) +
        " --save '' --appendonly no --daemonize yes --pidfile " + shell_quote(pid_file()) +
        " --logfile " + shell_quote(dir_ + "/redis.log") + " " + extra_args_;
    if (run_command(command) != 0)
        throw std::runtime_error("failed: " + command);
    if (!eventually([&] { return answers(); }, 5s))
        throw std::runtime_error("redis-server on port " + port_ + " did not start");
}

void RedisServer::stop() {
    if (!answers())
        return;
    run_command(cli() + " shutdown nosave >/dev/null 2>&1");
    eventually([&] { return !answers(); }, 5s);
    std::error_code ignored;
    std::filesystem::remove(pid_file(), ignored);  // so that pid() names no other process
}

bool RedisServer::answers() const {
    return run_command(cli() + " ping 2>/dev/null | grep -q PONG") == 0;
}

pid_t RedisServer::pid() const {
    std::ifstream in(pid_file());
    pid_t pid = 0;
    in >> pid;
    return pid;
}

RedisOutage::RedisOutage() : server_(redis_port(), test_redis_dir()) {
    if (!server_.answers())
        throw std::runtime_error("the test Redis on port " + redis_port() + " does not answer");
    server_.stop();
    if (server_.answers())
        throw std::runtime_error("the test Redis did not shut down");
}

RedisOutage::~RedisOutage() {
    try {
        server_.start();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "the test Redis did not come back: " << e.what();
    }
}

RedisSentinelGroup::RedisSentinelGroup(std::string dir) : dir_(std::move(dir)) {
    std::vector<std::string> taken;
    auto fresh_port = [&] {
        for (;;) {
            std::string port = std::to_string(free_port());
            if (std::find(taken.begin(), taken.end(), port) == taken.end()) {
                taken.push_back(port);
                return port;
            }
        }
    };
    for (auto& port : data_ports_)
        port = fresh_port();
    for (auto& port : sentinel_ports_)
        port = fresh_port();
}

RedisSentinelGroup::~RedisSentinelGroup() {
    for (const auto& port : sentinel_ports_)
        RedisServer(port, dir_ + "/sentinel-" + port).stop();
    for (const auto& port : data_ports_) {
        RedisServer node = data_node(port);
        if (node.pid() > 0)
            ::kill(node.pid(), SIGCONT);  // a test that froze it and failed
        node.stop();
    }
}

void RedisSentinelGroup::start() {
    for (const auto& port : data_ports_)
        std::filesystem::create_directories(dir_ + "/redis-" + port);
    data_node(data_ports_[0]).start();
    data_node(data_ports_[1], data_ports_[0]).start();
    for (const auto& port : sentinel_ports_) {
        const std::string dir = dir_ + "/sentinel-" + port;
        std::filesystem::create_directories(dir);
        // Sentinel rewrites its file: one each.
        std::ofstream(dir + "/sentinel.conf")
            << "sentinel monitor " << kMasterName << " 127.0.0.1 " << data_ports_[0] << " 2\n"
            << "sentinel down-after-milliseconds " << kMasterName << " 1000\n"
            << "sentinel failover-timeout " << kMasterName << " 5000\n";
        RedisServer(port, dir, "--sentinel", dir + "/sentinel.conf").start();
    }
    if (!settled(std::chrono::seconds(30)))
        throw std::runtime_error("the Redis Sentinel group in " + dir_ + " did not settle in 30 s");
}

std::string RedisSentinelGroup::sentinel_list() const {
    std::string list;
    for (const auto& port : sentinel_ports_)
        list += (list.empty() ? "" : ",") + std::string("127.0.0.1:") + port;
    return list;
}

std::string RedisSentinelGroup::cli(const std::string& port, const std::string& arguments) const {
    return command_output("redis-cli -p " + port + " --raw " + arguments + " 2>/dev/null");
}

std::string RedisSentinelGroup::master_port() const {
    auto lines = lines_of(
        cli(sentinel_ports_[0], std::string("sentinel get-master-addr-by-name ") + kMasterName));
    return lines.size() == 2 ? lines[1] : "";
}

std::string RedisSentinelGroup::replica_port() const {
    return master_port() == data_ports_[0] ? data_ports_[1] : data_ports_[0];
}

RedisServer RedisSentinelGroup::data_node(const std::string& port,
                                          const std::string& replica_of) const {
    std::string args = "--repl-diskless-sync-delay 0";  // Redis 7 waits 5 s by default
    if (!replica_of.empty())
        args += " --replicaof 127.0.0.1 " + replica_of;
    return RedisServer(port, dir_ + "/redis-" + port, args);
}

bool RedisSentinelGroup::settled(std::chrono::milliseconds timeout) const {
    return eventually(
        [&] {
            const std::string master = master_port();
            if (master.empty())
                return false;
            for (const auto& sentinel : sentinel_ports_) {
                auto named = lines_of(
                    cli(sentinel, std::string("sentinel get-master-addr-by-name ") + kMasterName));
                auto state = lines_of(cli(sentinel, std::string("sentinel master ") + kMasterName));
                auto replicas =
                    lines_of(cli(sentinel, std::string("sentinel replicas ") + kMasterName));
                if (named.size() != 2 || named[1] != master ||
                    value_after(state, "flags") != "master" ||
                    value_after(state, "num-other-sentinels") != "2" ||
                    value_after(replicas, "port") !=
                        (master == data_ports_[0] ? data_ports_[1] : data_ports_[0]) ||
                    value_after(replicas, "flags") != "slave")
                    return false;
            }
            const std::string replica = master == data_ports_[0] ? data_ports_[1] : data_ports_[0];
            const std::string info = cli(replica, "info replication");
            const auto role = lines_of(cli(master, "role"));
            return !role.empty() && role.front() == "master" &&
                   info.find("master_port:" + master + "\r") != std::string::npos &&
                   info.find("master_link_status:up") != std::string::npos &&
                   streams_to_a_replica(master);
        },
        timeout);
}

void RedisSentinelGroup::fail_over() const {
    const std::string answer =
        cli(sentinel_ports_[0], std::string("sentinel failover ") + kMasterName);
    if (answer.rfind("OK", 0) != 0)
        throw std::runtime_error("SENTINEL FAILOVER answered: " + answer);
}

void RedisSentinelGroup::point_sentinels_at(const std::string& port) const {
    const std::string name = kMasterName;
    for (const auto& sentinel : sentinel_ports_) {
        cli(sentinel, "sentinel remove " + name);
        cli(sentinel, "sentinel monitor " + name + " 127.0.0.1 " + port + " 2");
        cli(sentinel, "sentinel set " + name + " down-after-milliseconds 1000");
        cli(sentinel, "sentinel set " + name + " failover-timeout 5000");
    }
}

void RedisSentinelGroup::swap_roles_by_hand() const {
    const std::string old_master = master_port(), new_master = replica_port();
    for (const auto& sentinel : sentinel_ports_)  // so that none undoes the swap meanwhile
        cli(sentinel, std::string("sentinel remove ") + kMasterName);
    cli(new_master, "replicaof no one");
    cli(old_master, "replicaof 127.0.0.1 " + new_master);
    if (!eventually(
            [&] {
                return cli(old_master, "info replication").find("master_link_status:up") !=
                       std::string::npos;
            },
            std::chrono::seconds(10)))
        throw std::runtime_error("redis " + old_master + " did not replicate from " + new_master);
    point_sentinels_at(new_master);
    if (!settled(std::chrono::seconds(30)))
        throw std::runtime_error("the Redis Sentinel group did not settle after the swap");
}

}  // namespace visiongw::testing
