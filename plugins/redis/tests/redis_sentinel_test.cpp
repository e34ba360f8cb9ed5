// RedisJobStore in Sentinel mode and with WAIT, against a real master, replica and three
// Sentinels of the suite's own (started once for the suite, on free loopback ports). Tests that
// fail the master over leave the group settled again, with the roles possibly swapped, so the
// tests do not depend on their order: each asks the group which node is the master.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>
#include <tuple>
#include <vector>

#include "eventually.h"
#include "files.h"
#include "processes.h"
#include "redis_control.h"
#include "redis_job_store.h"
#include "store_test_support.h"

namespace visiongw::redis {
namespace {

using namespace std::chrono_literals;
using testing::RedisSentinelGroup;

class RedisSentinelTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        scratch_ = new testing::ScratchDir();
        group_ = new RedisSentinelGroup(scratch_->path());
        group_->start();
    }
    static void TearDownTestSuite() {
        delete group_;
        delete scratch_;
        group_ = nullptr;
        scratch_ = nullptr;
    }

    void SetUp() override {
        ASSERT_TRUE(group_->settled(30s)) << "the group did not settle after the previous test";
        prefix_ = std::string("visiongw-test:") +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name() + ":";
    }
    void TearDown() override {
        // Both data nodes: a failed test may leave keys on either.
        for (const auto& port : {group_->master_port(), group_->replica_port()}) {
            group_->cli(port, "--scan --pattern " + testing::shell_quote(prefix_ + "*") +
                                  " | xargs -r redis-cli -p " + port + " del >/dev/null");
        }
    }

    // A store that finds the master through `sentinels` (the group's by default).
    std::unique_ptr<RedisJobStore> sentinel_store(
        std::int64_t timeout_ms, std::map<std::string, sdk::OptionValue> options = {}) {
        options.emplace("sentinels", group_->sentinel_list());
        options.emplace("sentinel_master", std::string(RedisSentinelGroup::kMasterName));
        auto store = std::make_unique<RedisJobStore>();
        // The url's host and port are not used with sentinels: nothing listens on port 1.
        store->configure(store_config("redis://127.0.0.1:1/0", prefix_, timeout_ms, 600, options),
                         context_);
        return store;
    }

    // Whether the data node on `port` holds the job's hash.
    bool holds_job(const std::string& port, const std::string& id) const {
        return group_->cli(port, "exists " + testing::shell_quote(prefix_ + "job:" + id)) == "1\n";
    }
    // The keys under the test's prefix on the data node on `port`.
    std::string keys_on(const std::string& port) const {
        return group_->cli(port, "--scan --pattern " + testing::shell_quote(prefix_ + "*"));
    }

    static double metric(RedisJobStore& store, const std::string& name) {
        for (const auto& sample : store.metrics()) {
            if (sample.name == name)
                return sample.value;
        }
        ADD_FAILURE() << "no metric " << name;
        return -1;
    }

    static testing::ScratchDir* scratch_;
    static RedisSentinelGroup* group_;
    RecordingLog log_;
    sdk::PluginContext context_{log_};
    std::string prefix_;
};

testing::ScratchDir* RedisSentinelTest::scratch_ = nullptr;
RedisSentinelGroup* RedisSentinelTest::group_ = nullptr;

TEST_F(RedisSentinelTest, FindsTheMasterThroughTheSentinels) {
    auto store = sentinel_store(2000);
    store->create(queued_job("job-1"));
    EXPECT_TRUE(store->get("job-1"));
    EXPECT_TRUE(holds_job(group_->master_port(), "job-1"));

    sdk::Health health = store->health();
    EXPECT_TRUE(health.ok) << health.detail;
    EXPECT_NE(health.detail.find("127.0.0.1:" + group_->master_port()), std::string::npos)
        << health.detail;
    EXPECT_NE(health.detail.find("Sentinel"), std::string::npos) << health.detail;
    EXPECT_EQ(metric(*store, "visiongw_redis_master_changes_total"), 0);
}

TEST_F(RedisSentinelTest, SkipsSentinelsThatDoNotAnswer) {
    const std::string down = "127.0.0.1:" + std::to_string(testing::free_port());
    auto store = sentinel_store(2000, {{"sentinels", down + "," + group_->sentinel_list()}});
    const auto started = std::chrono::steady_clock::now();
    store->create(queued_job("job-1"));
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
    EXPECT_TRUE(holds_job(group_->master_port(), "job-1"));
}

TEST_F(RedisSentinelTest, NoSentinelAnsweringIsUnavailableNamingThemWithoutHanging) {
    constexpr std::int64_t kTimeoutMs = 500;
    const std::vector<std::string> down{"127.0.0.1:" + std::to_string(testing::free_port()),
                                        "127.0.0.1:" + std::to_string(testing::free_port())};
    auto store = sentinel_store(kTimeoutMs, {{"sentinels", down[0] + "," + down[1]}});
    EXPECT_FALSE(store->health().ok);
    const auto started = std::chrono::steady_clock::now();
    try {
        store->create(queued_job("job-1"));
        ADD_FAILURE() << "created without any sentinel";
    } catch (const sdk::Unavailable& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find(RedisSentinelGroup::kMasterName), std::string::npos) << message;
        for (const auto& sentinel : down)
            EXPECT_NE(message.find(sentinel), std::string::npos) << message;
    }
    EXPECT_LT(std::chrono::steady_clock::now() - started,
              2 * std::chrono::milliseconds(kTimeoutMs));
}

TEST_F(RedisSentinelTest, AMasterNameTheSentinelsDoNotKnowIsUnavailableNamingIt) {
    auto store = sentinel_store(500, {{"sentinel_master", std::string("no-such-master")}});
    try {
        store->get("job-1");
        ADD_FAILURE() << "an unknown master was found";
    } catch (const sdk::Unavailable& error) {
        EXPECT_NE(std::string(error.what()).find("'no-such-master'"), std::string::npos)
            << error.what();
        EXPECT_NE(std::string(error.what()).find("does not know the master"), std::string::npos)
            << error.what();
    }
}

// SENTINEL FAILOVER promotes the replica at once, but the sentinels demote the old master
// (closing its clients' connections) only 8 s or more later; until then it still takes
// writes, which are lost when it resyncs from the new one. The store asks the sentinels once a
// second, so its writes move to the new master within about that. With WAIT 1 no write
// succeeds on the old master once its replica left: every acknowledged write survives.
TEST_F(RedisSentinelTest, WritesMoveToTheNewMasterAfterAFailover) {
    constexpr auto kPlainBound = 5s;     // the leader switches in ~1 s, the store checks each 1 s
    constexpr auto kDurableBound = 30s;  // plus the old master becoming the new one's replica
    auto store = sentinel_store(1000);
    auto durable_store = sentinel_store(1000, {{"wait_replicas", std::int64_t{1}}});
    store->create(queued_job("job-0"));
    durable_store->create(queued_job("durable-0"));
    const std::string new_master = group_->replica_port();
    auto moved = [](RedisJobStore& store) {
        return metric(store, "visiongw_redis_master_changes_total") == 1;
    };

    group_->fail_over();
    const auto started = std::chrono::steady_clock::now();
    std::optional<std::chrono::steady_clock::duration> plain_moved, durable_moved;
    std::vector<std::string> acknowledged{"job-0"}, durable_acknowledged{"durable-0"};
    for (int i = 1; (!plain_moved || !durable_moved) &&
                    std::chrono::steady_clock::now() - started < kDurableBound;
         ++i) {
        for (auto [store_used, ids, prefix, since] :
             {std::tuple{store.get(), &acknowledged, "job-", &plain_moved},
              std::tuple{durable_store.get(), &durable_acknowledged, "durable-", &durable_moved}}) {
            if (*since)
                continue;
            try {
                store_used->create(queued_job(prefix + std::to_string(i)));
                ids->push_back(prefix + std::to_string(i));
                if (moved(*store_used))
                    *since = std::chrono::steady_clock::now() - started;
            } catch (const sdk::Unavailable&) {
            }
        }
        std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(plain_moved) << "the store never connected to the new master";
    EXPECT_LT(*plain_moved, kPlainBound);
    ASSERT_TRUE(durable_moved) << "no acknowledged write on the new master";
    ASSERT_TRUE(group_->settled(30s));
    ASSERT_EQ(group_->master_port(), new_master);
    for (const auto& id : durable_acknowledged)
        EXPECT_TRUE(holds_job(new_master, id)) << id << " was acknowledged with WAIT 1";
    const auto lost = std::count_if(acknowledged.begin(), acknowledged.end(),
                                    [&](const auto& id) { return !holds_job(new_master, id); });
    EXPECT_TRUE(holds_job(new_master, "job-0")) << "a record written before the failover";
    EXPECT_NE(store->health().detail.find("127.0.0.1:" + new_master), std::string::npos);
    auto ms = [](auto duration) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
    };
    std::cout << "after SENTINEL FAILOVER: the store writes to the new master after "
              << ms(*plain_moved) << " ms (" << lost << " of " << acknowledged.size()
              << " acknowledged writes lost meanwhile); with WAIT 1 after " << ms(*durable_moved)
              << " ms (0 of " << durable_acknowledged.size() << " lost)\n";
}

// kill -9 of the master: the sentinels see it down after 1 s and promote the replica. Writes
// resume without WAIT (no replica is left); the killed node comes back as the new master's
// replica, and then writes with WAIT 1 succeed again.
TEST_F(RedisSentinelTest, WritesResumeAfterTheMasterIsKilled) {
    constexpr auto kBound = 15s;
    auto store = sentinel_store(1000);
    auto durable_store = sentinel_store(1000, {{"wait_replicas", std::int64_t{1}}});
    durable_store->create(queued_job("job-0"));
    EXPECT_TRUE(store->get("job-0"));  // its pool knows the master before the kill
    const std::string old_master = group_->master_port();
    const std::string new_master = group_->replica_port();
    testing::RedisServer killed = group_->data_node(old_master);
    ASSERT_GT(killed.pid(), 0);

    ASSERT_EQ(::kill(killed.pid(), SIGKILL), 0);
    const auto started = std::chrono::steady_clock::now();
    int attempts = 0;
    std::string last_error;
    for (bool written = false; !written && std::chrono::steady_clock::now() - started < kBound;) {
        ++attempts;
        try {
            store->create(queued_job("job-" + std::to_string(attempts)));
            written = true;
        } catch (const sdk::Unavailable& error) {
            last_error = error.what();
            std::this_thread::sleep_for(50ms);
        }
    }
    const auto took = std::chrono::steady_clock::now() - started;
    // The old node comes back as the new master's replica whatever the outcome, for the
    // tests after this one.
    EXPECT_TRUE(testing::eventually([&] { return !killed.answers(); }, 5s));
    testing::RedisServer rejoined = group_->data_node(old_master, new_master);
    ASSERT_NO_THROW(rejoined.start());
    ASSERT_LT(took, kBound) << "no write after the kill; last error: " << last_error;
    EXPECT_EQ(group_->master_port(), new_master);
    EXPECT_TRUE(holds_job(new_master, "job-" + std::to_string(attempts)));
    EXPECT_TRUE(holds_job(new_master, "job-0")) << "acknowledged by a replica before the kill";
    EXPECT_GE(metric(*store, "visiongw_redis_master_changes_total"), 1);
    std::cout << "first write "
              << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
              << " ms after kill -9 of the master, attempt " << attempts << "\n";

    ASSERT_TRUE(group_->settled(30s));
    EXPECT_NO_THROW(durable_store->create(queued_job("job-after")));
    EXPECT_TRUE(holds_job(old_master, "job-after"));
}

// A master demoted while the pool's connections to it stay open answers their writes
// READONLY: the pool drops every pooled connection (not only the one that was answered), asks
// the sentinels again and writes on the new master, unseen by the caller. The pool is made
// here with a master check interval of an hour, so only READONLY can tell it.
TEST_F(RedisSentinelTest, AReadonlyAnswerMovesThePoolToTheNewMaster) {
    PoolSettings settings;
    settings.endpoint = parse_redis_url("redis://127.0.0.1:1/0");
    settings.size = 4;
    settings.timeout = 1000ms;
    settings.sentinels = parse_sentinel_list(group_->sentinel_list());
    settings.sentinel_master = RedisSentinelGroup::kMasterName;
    settings.master_check_interval = std::chrono::hours(1);
    RedisConnectionPool pool(std::move(settings));
    auto set = [&](const std::string& key) {
        pool.with_client([&](RedisConnection& redis) {
            Poco::Redis::Array command;
            command << "SET" << prefix_ + key << "1";
            redis.send(command);
        });
    };
    // Several connections to the master, idle in the pool.
    std::vector<std::thread> writers;
    for (int i = 0; i < 4; ++i) {
        writers.emplace_back([&, i] {
            for (int j = 0; j < 50; ++j)
                set("warm-" + std::to_string(i) + "-" + std::to_string(j));
        });
    }
    for (auto& writer : writers)
        writer.join();
    ASSERT_GE(pool.open_connections(), 2u);
    const std::string old_master = group_->master_port();
    const std::string new_master = group_->replica_port();

    group_->swap_roles_by_hand();
    ASSERT_EQ(group_->master_port(), new_master);
    // The pool's connections are still open on the old master (redis-cli is one more client).
    EXPECT_GT(std::stoi(group_->cli(old_master, "client list type normal | wc -l")), 1);

    for (int i = 1; i <= 4; ++i)
        EXPECT_NO_THROW(set("key-" + std::to_string(i))) << i;
    EXPECT_EQ(group_->cli(new_master, "exists " + testing::shell_quote(prefix_ + "key-4")), "1\n");
    EXPECT_EQ(pool.errors_total(), 0u);
    EXPECT_EQ(pool.master_changes_total(), 1u);
}

// Sentinels that name a replica (a failover under way, or a stale sentinel): ROLE there says
// slave, so the store does not use it, asks again until timeout_ms and then reports it.
TEST_F(RedisSentinelTest, ANamedServerThatIsNotTheMasterIsNotUsed) {
    constexpr std::int64_t kTimeoutMs = 500;
    auto store = sentinel_store(kTimeoutMs);
    const std::string master = group_->master_port(), replica = group_->replica_port();
    group_->point_sentinels_at(replica);
    const auto started = std::chrono::steady_clock::now();
    std::string message;
    try {
        store->get("job-1");  // reading would work on the replica: only ROLE tells
        ADD_FAILURE() << "the store used the replica";
    } catch (const sdk::Unavailable& error) {
        message = error.what();
    }
    const auto took = std::chrono::steady_clock::now() - started;
    group_->point_sentinels_at(master);

    EXPECT_NE(message.find("127.0.0.1:" + replica), std::string::npos) << message;
    EXPECT_NE(message.find("its ROLE is slave"), std::string::npos) << message;
    EXPECT_GE(took, std::chrono::milliseconds(kTimeoutMs) - 150ms);
    EXPECT_LT(took, 2 * std::chrono::milliseconds(kTimeoutMs));
    ASSERT_TRUE(group_->settled(30s));
    EXPECT_TRUE(store->get("job-1") == std::nullopt);
}

TEST_F(RedisSentinelTest, WaitSucceedsWhileTheReplicaKeepsUp) {
    auto store = sentinel_store(1000, {{"wait_replicas", std::int64_t{1}}});
    store->create(queued_job("job-1"));
    // Acknowledged by the replica: it holds the record the moment create returns.
    EXPECT_TRUE(holds_job(group_->replica_port(), "job-1"));
    EXPECT_EQ(store->transition("job-1", change_to(sdk::JobStatus::processing, 10)).outcome,
              sdk::TransitionOutcome::applied);
    const sdk::IdempotencyKey key{"tenant-1", "order-1", "fingerprint"};
    EXPECT_FALSE(store->create_with_idempotency_key(queued_job("job-2"), key, 90s));
    EXPECT_TRUE(holds_job(group_->replica_port(), "job-2"));
}

// A replica that stops answering (SIGSTOP) does not acknowledge: a create throws within about
// wait_timeout_ms and leaves nothing behind, so the gateway's 503 means "not accepted".
TEST_F(RedisSentinelTest, ACreateTheReplicaDoesNotAcknowledgeIsUndoneAndUnavailable) {
    constexpr std::int64_t kWaitMs = 200;
    auto store =
        sentinel_store(1000, {{"wait_replicas", std::int64_t{1}}, {"wait_timeout_ms", kWaitMs}});
    store->create(queued_job("job-0"));
    const std::string master = group_->master_port();
    testing::RedisServer replica = group_->data_node(group_->replica_port());
    ASSERT_EQ(::kill(replica.pid(), SIGSTOP), 0);

    const auto started = std::chrono::steady_clock::now();
    try {
        store->create(queued_job("job-1"));
        ADD_FAILURE() << "a create no replica acknowledged succeeded";
    } catch (const sdk::Unavailable& error) {
        EXPECT_NE(std::string(error.what()).find("job job-1 acknowledged by 0 of 1 replicas"),
                  std::string::npos)
            << error.what();
    }
    const auto took = std::chrono::steady_clock::now() - started;
    const sdk::IdempotencyKey key{"tenant-1", "order-1", "fingerprint"};
    EXPECT_THROW(store->create_with_idempotency_key(queued_job("job-2"), key, 90s),
                 sdk::Unavailable);
    EXPECT_THROW(store->transition("job-0", change_to(sdk::JobStatus::processing)),
                 sdk::Unavailable);
    const std::string left = keys_on(master);
    ::kill(replica.pid(), SIGCONT);

    EXPECT_GE(took, std::chrono::milliseconds(kWaitMs) - 20ms);
    EXPECT_LT(took, std::chrono::milliseconds(kWaitMs) + 500ms);
    EXPECT_EQ(left.find("job-1"), std::string::npos) << left;
    EXPECT_EQ(left.find("job-2"), std::string::npos) << left;
    EXPECT_EQ(left.find("order-1"), std::string::npos) << left;
    EXPECT_NE(left.find("job:job-0"), std::string::npos) << left;
    EXPECT_FALSE(store->find_idempotency_key(key));
}

TEST(RedisSentinelConfig, ABadSentinelAddressIsAConfigErrorNamingIt) {
    RecordingLog log;
    sdk::PluginContext context{log};
    for (std::string entry :
         {"127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "host:port", ":26379", ""}) {
        const std::string list = "127.0.0.1:26379," + entry;
        RedisJobStore store;
        try {
            store.configure(store_config("redis://127.0.0.1:6379/0", "visiongw:", 2000, 600,
                                         {{"sentinels", list}}),
                            context);
            ADD_FAILURE() << list << " was accepted";
        } catch (const sdk::ConfigError& error) {
            EXPECT_NE(std::string(error.what()).find("'" + entry + "'"), std::string::npos)
                << error.what();
        }
    }
}

TEST(RedisSentinelConfig, SentinelListsParse) {
    auto sentinels = parse_sentinel_list(" a.example:26379,127.0.0.1:1 , b:65535");
    ASSERT_EQ(sentinels.size(), 3u);
    EXPECT_EQ(sentinels[0].text(), "a.example:26379");
    EXPECT_EQ(sentinels[1].text(), "127.0.0.1:1");
    EXPECT_EQ(sentinels[2].text(), "b:65535");
}

TEST(RedisSentinelConfig, AWaitTimeoutNotBelowTheTimeoutIsAConfigError) {
    RecordingLog log;
    sdk::PluginContext context{log};
    RedisJobStore store;
    EXPECT_THROW(store.configure(store_config("redis://127.0.0.1:6379/0", "visiongw:", 500, 600,
                                              {{"wait_replicas", std::int64_t{1}},
                                               {"wait_timeout_ms", std::int64_t{500}}}),
                                 context),
                 sdk::ConfigError);
    EXPECT_NO_THROW(store.configure(
        store_config("redis://127.0.0.1:6379/0", "visiongw:", 500, 600,
                     {{"wait_replicas", std::int64_t{0}}, {"wait_timeout_ms", std::int64_t{500}}}),
        context));
}

}  // namespace
}  // namespace visiongw::redis
