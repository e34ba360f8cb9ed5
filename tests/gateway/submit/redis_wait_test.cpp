// A submit whose job record no Redis replica acknowledges in time ([redis] wait_replicas):
// 503 with Retry-After, and neither the image nor any job key stays behind. The gateway talks
// to a master and a replica of the test's own, so freezing the replica disturbs no other test.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "files.h"
#include "gateway_support.h"
#include "redis_control.h"

namespace visiongw::testing {
namespace {

using namespace std::chrono_literals;

TEST(RedisWaitTest, ASubmitNoReplicaAcknowledgesIs503AndLeavesNothing) {
    ScratchDir dir;
    const std::string master_port = std::to_string(free_port());
    std::string replica_port = std::to_string(free_port());
    while (replica_port == master_port)
        replica_port = std::to_string(free_port());
    std::filesystem::create_directories(dir.file("master"));
    std::filesystem::create_directories(dir.file("replica"));
    RedisServer master(master_port, dir.file("master"), "--repl-diskless-sync-delay 0");
    RedisServer replica(replica_port, dir.file("replica"),
                        "--repl-diskless-sync-delay 0 --replicaof 127.0.0.1 " + master_port);
    master.start();
    replica.start();
    auto keys = [&] { return command_output("redis-cli -p " + master_port + " --scan | wc -l"); };
    ASSERT_TRUE(eventually([&] { return streams_to_a_replica(master_port); }, 10s));

    auto gateway = std::make_unique<GatewayProcess>(std::map<std::string, std::string>{
        {"redis", "url = redis://127.0.0.1:" + master_port +
                      "/0\nwait_replicas = 1\nwait_timeout_ms = 200\n"}});
    gateway->start();
    HttpAnswer first = submit(*gateway, leaf_form(make_png(16, 16, 1)));
    EXPECT_EQ(first.status, 202) << first.body;
    const std::size_t files_before = gateway->stored_files();
    const std::string keys_before = keys();

    ASSERT_EQ(::kill(replica.pid(), SIGSTOP), 0);
    HttpAnswer answer = submit(*gateway, leaf_form(make_png(16, 16, 2)));
    const std::string files_and_keys =
        std::to_string(gateway->stored_files()) + " files, keys " + keys();
    ::kill(replica.pid(), SIGCONT);

    expect_error(answer, 503, "service_unavailable");
    EXPECT_FALSE(answer.header("retry-after").empty());
    EXPECT_NE(answer.body.find("acknowledged by 0 of 1 replicas"), std::string::npos)
        << answer.body;
    EXPECT_EQ(files_and_keys, std::to_string(files_before) + " files, keys " + keys_before);
    HttpAnswer after = submit(*gateway, leaf_form(make_png(16, 16, 3)));
    EXPECT_EQ(after.status, 202) << after.body;

    gateway->stop();
    replica.stop();
    master.stop();
}

}  // namespace
}  // namespace visiongw::testing
