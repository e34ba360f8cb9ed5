#include "redis_control.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

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

}  // namespace

std::string redis_cli(const std::string& arguments) {
    return command_output("redis-cli -p " + redis_port() + " " + arguments + " 2>/dev/null");
}

void delete_redis_keys(const std::string& prefix) {
    redis_cli("--scan --pattern " + shell_quote(prefix + "*") + " | xargs -r redis-cli -p " +
              redis_port() + " del >/dev/null");
}

RedisServer::RedisServer(std::string port, std::string dir, std::string extra_args)
    : port_(std::move(port)), dir_(std::move(dir)), extra_args_(std::move(extra_args)) {}

std::string RedisServer::cli() const {
    std::string command = "redis-cli -p " + port_;
    auto at = extra_args_.find("--requirepass ");
    if (at != std::string::npos)
        command += " -a " + extra_args_.substr(at + 14) + " --no-auth-warning";
    return command;
}

void RedisServer::start() {
    const std::string command =
        "redis-server --bind 127.0.0.1 --port " + port_ + " --dir " + shell_quote(dir_) +
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

}  // namespace visiongw::testing
