// RedisJobStore against a real redis-server: the shared test instance, and private ones for
// outages and authentication so stopping them disturbs no other test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <mutex>
#include <thread>

#include "files.h"
#include "processes.h"
#include "redis_control.h"
#include "redis_job_store.h"
#include "store_test_support.h"
#include "test_services.h"

namespace visiongw::redis {
namespace {

using namespace std::chrono_literals;
using sdk::JobStatus;
using sdk::TransitionOutcome;

// A redis-server of the test's own on a free port in a scratch folder, so that stopping or
// freezing it disturbs no other test.
class PrivateRedis {
public:
    explicit PrivateRedis(std::string extra_args = "")
        : server_(std::to_string(testing::free_port()), dir_.path(), std::move(extra_args)) {}
    ~PrivateRedis() {
        resume();
        server_.stop();
    }

    std::string url(const std::string& credentials = "") const {
        return "redis://" + credentials + "127.0.0.1:" + server_.port();
    }
    void start() { ASSERT_NO_THROW(server_.start()); }
    void stop() { server_.stop(); }
    // SIGSTOP: the server keeps its socket but never answers.
    void freeze() { ::kill(server_.pid(), SIGSTOP); }
    void resume() {
        if (server_.pid() > 0)
            ::kill(server_.pid(), SIGCONT);
    }

private:
    testing::ScratchDir dir_;
    testing::RedisServer server_;
};

// A store on the shared test Redis under a key prefix of the test's own, removed afterwards.
class RedisJobStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
        prefix_ =
            std::string("visiongw-test:") + test->name() + ":" + std::to_string(::getpid()) + ":";
        store_.configure(store_config(testing::redis_url(), prefix_, 2000, kTtlSeconds), context_);
        store_.start();
    }
    void TearDown() override {
        store_.stop();
        probe_.delete_matching(prefix_ + "*");
    }

    static constexpr std::int64_t kTtlSeconds = 600;
    RecordingLog log_;
    sdk::PluginContext context_{log_};
    RedisJobStore store_;
    std::string prefix_;
    RedisProbe probe_{testing::redis_url()};
};

TEST_F(RedisJobStoreTest, CreateThenGetReturnsEveryField) {
    sdk::JobRecord record = queued_job("job-1");
    record.status = JobStatus::processing;
    record.progress = 42;
    record.result_json = R"({"labels":["aphid"]})";
    record.error_json = R"({"code":"none"})";
    record.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    record.tracestate = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";
    store_.create(record);

    auto stored = store_.get("job-1");
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->id, record.id);
    EXPECT_EQ(stored->tenant, record.tenant);
    EXPECT_EQ(stored->analysis_type, record.analysis_type);
    EXPECT_EQ(stored->status, record.status);
    EXPECT_EQ(stored->progress, record.progress);
    EXPECT_EQ(stored->parameters_json, record.parameters_json);
    EXPECT_EQ(stored->file_json, record.file_json);
    EXPECT_EQ(stored->file_key, record.file_key);
    EXPECT_EQ(stored->request_id, record.request_id);
    EXPECT_EQ(stored->created_at, record.created_at);
    EXPECT_EQ(stored->updated_at, record.updated_at);
    EXPECT_EQ(stored->result_json, record.result_json);
    EXPECT_EQ(stored->error_json, record.error_json);
    EXPECT_EQ(stored->traceparent, record.traceparent);
    EXPECT_EQ(stored->tracestate, record.tracestate);
}

// A command over 1 KiB (a long prompt, a large result) used to leave in two segments with
// Nagle's algorithm on, the second one held until Redis's delayed ACK: ~40 ms a call.
TEST_F(RedisJobStoreTest, LargeRecordsDoNotWaitForADelayedAck) {
    for (int i = 0; i < 20; ++i)  // past TCP's quick-ACK start on the pool's connection
        store_.get("job-0");
    sdk::JobRecord record = queued_job("job-1");
    record.parameters_json = R"({"custom_prompt":")" + std::string(4000, 'p') + R"("})";
    auto fastest = std::chrono::steady_clock::duration::max();
    for (int i = 1; i <= 5; ++i) {
        record.id = "job-" + std::to_string(i);
        const auto start = std::chrono::steady_clock::now();
        store_.create(record);
        fastest = std::min(fastest, std::chrono::steady_clock::now() - start);
    }
    EXPECT_LT(fastest, 20ms) << "the fastest of five 4 KiB records took "
                             << std::chrono::duration<double, std::milli>(fastest).count() << " ms";
}

TEST_F(RedisJobStoreTest, GetUnknownJobIsEmpty) {
    EXPECT_FALSE(store_.get("no-such-job"));
}

TEST_F(RedisJobStoreTest, RecordAndFileSetCarryTheTtl) {
    store_.create(queued_job("job-1"));
    for (const std::string& key : {prefix_ + "job:job-1", prefix_ + "file:abc.jpg"}) {
        std::int64_t ttl = probe_.integer({"TTL", key});
        EXPECT_GT(ttl, 0) << key;
        EXPECT_LE(ttl, kTtlSeconds) << key;
    }
}

// Idempotency keys: written with their record in one step, per tenant, pending until completed.
TEST_F(RedisJobStoreTest, AFreeIdempotencyKeyIsWrittenPendingWithItsRecord) {
    const sdk::IdempotencyKey key{"tenant-1", "order-17", "fingerprint-a"};
    EXPECT_FALSE(store_.find_idempotency_key(key));
    EXPECT_FALSE(store_.create_with_idempotency_key(queued_job("job-1"), key, 90s));

    ASSERT_TRUE(store_.get("job-1"));
    auto entry = store_.find_idempotency_key(key);
    ASSERT_TRUE(entry);
    EXPECT_EQ(entry->fingerprint, "fingerprint-a");
    EXPECT_EQ(entry->job_id, "job-1");
    EXPECT_EQ(entry->state, sdk::IdempotencyEntry::State::pending);
    const std::string stored = prefix_ + "idempotency:8:tenant-1:order-17";
    EXPECT_GT(probe_.integer({"TTL", stored}), 0);
    EXPECT_LE(probe_.integer({"TTL", stored}), 90);
    EXPECT_TRUE(store_.file_in_use("abc.jpg"));

    store_.complete_idempotency_key(key, "job-1", std::chrono::seconds(86400));
    EXPECT_EQ(store_.find_idempotency_key(key)->state, sdk::IdempotencyEntry::State::completed);
    EXPECT_GT(probe_.integer({"TTL", stored}), 90);
}

TEST_F(RedisJobStoreTest, ATakenIdempotencyKeyWritesNothingAndNamesItsJob) {
    const sdk::IdempotencyKey key{"tenant-1", "order-17", "fingerprint-a"};
    store_.create_with_idempotency_key(queued_job("job-1"), key, 90s);
    auto taken = store_.create_with_idempotency_key(queued_job("job-2", "other.jpg"),
                                                    {"tenant-1", "order-17", "fingerprint-b"}, 90s);
    ASSERT_TRUE(taken);
    EXPECT_EQ(taken->job_id, "job-1");
    EXPECT_EQ(taken->fingerprint, "fingerprint-a");
    EXPECT_FALSE(store_.get("job-2"));
    EXPECT_EQ(probe_.integer({"EXISTS", prefix_ + "file:other.jpg"}), 0);

    // Another tenant's key of the same name is another key; so is "a:b" + "c" against "a" + "b:c".
    EXPECT_FALSE(store_.create_with_idempotency_key(queued_job("job-3"),
                                                    {"tenant-2", "order-17", "f"}, 90s));
    EXPECT_FALSE(store_.create_with_idempotency_key(queued_job("job-4"), {"a:b", "c", "f"}, 90s));
    EXPECT_FALSE(store_.create_with_idempotency_key(queued_job("job-5"), {"a", "b:c", "f"}, 90s));
}

TEST_F(RedisJobStoreTest, OnlyItsOwnJobCompletesOrReleasesAnIdempotencyKey) {
    const sdk::IdempotencyKey key{"", "order-17", "fingerprint-a"};
    store_.create_with_idempotency_key(queued_job("job-1"), key, 90s);
    store_.complete_idempotency_key(key, "job-other", 100s);
    store_.release_idempotency_key(key, "job-other");
    EXPECT_EQ(store_.find_idempotency_key(key)->state, sdk::IdempotencyEntry::State::pending);

    store_.release_idempotency_key(key, "job-1");
    EXPECT_FALSE(store_.find_idempotency_key(key));
    EXPECT_FALSE(store_.create_with_idempotency_key(queued_job("job-2"), key, 90s));
    EXPECT_EQ(store_.find_idempotency_key(key)->job_id, "job-2");
}

TEST_F(RedisJobStoreTest, TransitionRefreshesTheTtl) {
    store_.create(queued_job("job-1"));
    probe_.run({"EXPIRE", prefix_ + "job:job-1", "5"});
    store_.transition("job-1", change_to(JobStatus::processing, 10));
    EXPECT_GT(probe_.integer({"TTL", prefix_ + "job:job-1"}), 5);
}

TEST_F(RedisJobStoreTest, JobRunsFromQueuedToCompleted) {
    store_.create(queued_job("job-1"));

    auto started = store_.transition("job-1", change_to(JobStatus::processing));
    EXPECT_EQ(started.outcome, TransitionOutcome::applied);
    ASSERT_TRUE(started.record);
    EXPECT_EQ(started.record->status, JobStatus::processing);
    EXPECT_EQ(started.record->updated_at, "2026-11-28T17:00:05Z");

    auto progressed = store_.transition("job-1", change_to(JobStatus::processing, 40));
    EXPECT_EQ(progressed.outcome, TransitionOutcome::applied);
    EXPECT_EQ(progressed.record->progress, 40);

    sdk::JobChange done = change_to(JobStatus::completed);
    done.result_json = R"({"labels":["aphid"]})";
    auto completed = store_.transition("job-1", done);
    EXPECT_EQ(completed.outcome, TransitionOutcome::applied);
    EXPECT_EQ(completed.record->status, JobStatus::completed);
    EXPECT_EQ(completed.record->progress, 100);
    EXPECT_EQ(completed.record->result_json, done.result_json);
    EXPECT_EQ(store_.get("job-1")->status, JobStatus::completed);
}

TEST_F(RedisJobStoreTest, FinishedJobRefusesAnotherFinalState) {
    store_.create(queued_job("job-1"));
    store_.transition("job-1", change_to(JobStatus::completed));

    auto late_failure = store_.transition("job-1", change_to(JobStatus::failed));
    EXPECT_EQ(late_failure.outcome, TransitionOutcome::refused);
    ASSERT_TRUE(late_failure.record);
    EXPECT_EQ(late_failure.record->status, JobStatus::completed);
    EXPECT_EQ(store_.transition("job-1", change_to(JobStatus::processing, 5)).outcome,
              TransitionOutcome::refused);
    EXPECT_EQ(store_.get("job-1")->status, JobStatus::completed);
}

TEST_F(RedisJobStoreTest, CancellingTwiceIsAlready) {
    store_.create(queued_job("job-1"));
    EXPECT_EQ(store_.transition("job-1", change_to(JobStatus::cancelled)).outcome,
              TransitionOutcome::applied);
    auto again = store_.transition("job-1", change_to(JobStatus::cancelled));
    EXPECT_EQ(again.outcome, TransitionOutcome::already);
    EXPECT_EQ(again.record->status, JobStatus::cancelled);
}

TEST_F(RedisJobStoreTest, TransitionOfUnknownJobIsNotFound) {
    auto result = store_.transition("no-such-job", change_to(JobStatus::cancelled));
    EXPECT_EQ(result.outcome, TransitionOutcome::not_found);
    EXPECT_FALSE(result.record);
}

TEST_F(RedisJobStoreTest, ProgressNeverGoesBackwards) {
    store_.create(queued_job("job-1"));
    store_.transition("job-1", change_to(JobStatus::processing, 60));
    auto late = store_.transition("job-1", change_to(JobStatus::processing, 30));
    EXPECT_EQ(late.outcome, TransitionOutcome::applied);
    EXPECT_EQ(late.record->progress, 60);
    EXPECT_EQ(store_.get("job-1")->progress, 60);
}

TEST_F(RedisJobStoreTest, GoingBackToQueuedIsRefused) {
    store_.create(queued_job("job-1"));
    store_.transition("job-1", change_to(JobStatus::processing));
    EXPECT_EQ(store_.transition("job-1", change_to(JobStatus::queued)).outcome,
              TransitionOutcome::refused);
    EXPECT_EQ(store_.get("job-1")->status, JobStatus::processing);
}

TEST_F(RedisJobStoreTest, ConcurrentCompleteAndCancelHaveExactlyOneWinner) {
    for (int round = 0; round < 20; ++round) {
        std::string id = "race-" + std::to_string(round);
        store_.create(queued_job(id));
        std::atomic<int> applied{0};
        std::atomic<bool> go{false};
        std::mutex winner_mutex;
        std::optional<JobStatus> winner;
        std::vector<std::thread> threads;
        for (int i = 0; i < 8; ++i) {
            JobStatus wanted = i % 2 == 0 ? JobStatus::completed : JobStatus::cancelled;
            threads.emplace_back([&, wanted] {
                while (!go)
                    std::this_thread::yield();
                auto result = store_.transition(id, change_to(wanted));
                if (result.outcome == TransitionOutcome::applied) {
                    ++applied;
                    std::lock_guard lock(winner_mutex);
                    winner = wanted;
                } else {
                    EXPECT_TRUE(result.outcome == TransitionOutcome::already ||
                                result.outcome == TransitionOutcome::refused);
                }
            });
        }
        go = true;
        for (auto& thread : threads)
            thread.join();
        ASSERT_EQ(applied, 1) << id;
        EXPECT_EQ(store_.get(id)->status, *winner);
        JobStatus loser =
            *winner == JobStatus::completed ? JobStatus::cancelled : JobStatus::completed;
        EXPECT_EQ(store_.transition(id, change_to(loser)).outcome, TransitionOutcome::refused);
        EXPECT_EQ(store_.get(id)->status, *winner);
    }
}

TEST_F(RedisJobStoreTest, FileIsInUseUntilItsJobIsFinal) {
    store_.create(queued_job("job-1", "shared.png"));
    store_.create(queued_job("job-2", "shared.png"));
    EXPECT_TRUE(store_.file_in_use("shared.png"));
    EXPECT_FALSE(store_.file_in_use("other.png"));

    store_.transition("job-1", change_to(JobStatus::processing, 50));
    store_.transition("job-1", change_to(JobStatus::completed));
    EXPECT_TRUE(store_.file_in_use("shared.png"));
    store_.transition("job-2", change_to(JobStatus::failed));
    EXPECT_FALSE(store_.file_in_use("shared.png"));
}

TEST_F(RedisJobStoreTest, JobCreatedFinalDoesNotHoldItsFile) {
    sdk::JobRecord record = queued_job("job-1");
    record.status = JobStatus::cancelled;
    store_.create(record);
    EXPECT_FALSE(store_.file_in_use(record.file_key));
}

TEST_F(RedisJobStoreTest, EraseRemovesRecordAndFileReference) {
    store_.create(queued_job("job-1"));
    store_.erase("job-1");
    EXPECT_FALSE(store_.get("job-1"));
    EXPECT_FALSE(store_.file_in_use("abc.jpg"));
    EXPECT_EQ(probe_.integer({"EXISTS", prefix_ + "file:abc.jpg"}), 0);
    store_.erase("job-1");  // erasing twice is harmless
}

TEST_F(RedisJobStoreTest, FileIsFreeWhenTheJobHashWentAway) {
    store_.create(queued_job("deleted", "a.png"));
    store_.create(queued_job("expired", "b.png"));
    probe_.run({"DEL", prefix_ + "job:deleted"});
    probe_.run({"PEXPIRE", prefix_ + "job:expired", "1"});
    std::this_thread::sleep_for(20ms);

    EXPECT_FALSE(store_.file_in_use("a.png"));
    EXPECT_FALSE(store_.file_in_use("b.png"));
    EXPECT_EQ(probe_.integer({"SISMEMBER", prefix_ + "file:a.png", "deleted"}), 0);
}

TEST_F(RedisJobStoreTest, HealthAndMetricsReportThePool) {
    sdk::Health health = store_.health();
    EXPECT_TRUE(health.ok) << health.detail;
    EXPECT_NE(health.detail.find("PONG"), std::string::npos) << health.detail;
    auto metrics = store_.metrics();
    ASSERT_EQ(metrics.size(), 2u);
    EXPECT_EQ(metrics[0].name, "visiongw_redis_errors_total");
    EXPECT_EQ(metrics[0].value, 0);
    EXPECT_EQ(metrics[1].name, "visiongw_redis_pool_connections");
    EXPECT_GE(metrics[1].value, 1);
}

// The ids of a page, in its order.
std::vector<std::string> ids_of(const sdk::JobPage& page) {
    std::vector<std::string> ids;
    for (const auto& job : page.jobs)
        ids.push_back(job.id);
    return ids;
}

sdk::JobQuery query_of(const std::string& tenant, std::size_t limit, std::string after = "") {
    sdk::JobQuery query;
    query.tenant = tenant;
    query.limit = limit;
    query.after = std::move(after);
    return query;
}

class RedisJobListTest : public RedisJobStoreTest {
protected:
    // Creates jobs `<name>-0` ... of `tenant` in that order; returns their ids newest first.
    std::vector<std::string> create_jobs(const std::string& name, int count,
                                         const std::string& tenant = "tenant-1",
                                         const std::string& analysis_type = "pest") {
        std::vector<std::string> ids;
        for (int i = 0; i < count; ++i) {
            sdk::JobRecord record = queued_job(name + "-" + std::to_string(i));
            record.tenant = tenant;
            record.analysis_type = analysis_type;
            store_.create(record);
            ids.insert(ids.begin(), record.id);
        }
        return ids;
    }

    // Every job of `query`, page by page, checking that only the last page has no `next`.
    std::vector<std::string> list_all(sdk::JobQuery query) {
        std::vector<std::string> ids;
        for (int pages = 0; pages < 100; ++pages) {
            sdk::JobPage page = store_.list(query);
            EXPECT_LE(page.jobs.size(), query.limit);
            auto more = ids_of(page);
            ids.insert(ids.end(), more.begin(), more.end());
            if (page.next.empty())
                return ids;
            EXPECT_EQ(page.jobs.size(), query.limit) << "a short page that is not the last";
            query.after = page.next;
        }
        ADD_FAILURE() << "more than 100 pages";
        return ids;
    }

    std::int64_t list_keys() {
        auto reply = probe_.run({"KEYS", prefix_ + "list:*"});
        const auto& keys = dynamic_cast<Poco::Redis::Type<Poco::Redis::Array>&>(*reply).value();
        return keys.isNull() ? 0 : static_cast<std::int64_t>(keys.size());  // none: a null array
    }
};

TEST_F(RedisJobListTest, PagesThroughATenantsJobsNewestFirst) {
    const auto mine = create_jobs("mine", 7);
    create_jobs("theirs", 3, "tenant-2");
    EXPECT_EQ(list_all(query_of("tenant-1", 3)), mine);
    EXPECT_EQ(list_all(query_of("tenant-1", 7)), mine);
    EXPECT_EQ(list_all(query_of("tenant-1", 200)), mine);
    EXPECT_EQ(list_all(query_of("", 200)), std::vector<std::string>{}) << "the no-auth tenant";
    sdk::JobPage first = store_.list(query_of("tenant-1", 2));
    ASSERT_EQ(first.jobs.size(), 2u);
    EXPECT_EQ(first.jobs[0].tenant, "tenant-1");
    EXPECT_EQ(first.jobs[0].parameters_json, queued_job("x").parameters_json);
    EXPECT_FALSE(first.next.empty());
}

TEST_F(RedisJobListTest, FiltersByStatusAndAnalysisType) {
    const auto pests = create_jobs("pest", 3);
    const auto diseases = create_jobs("disease", 2, "tenant-1", "disease");
    store_.transition(pests[0], change_to(JobStatus::processing, 10));
    store_.transition(pests[1], change_to(JobStatus::completed));
    store_.transition(diseases[1], change_to(JobStatus::completed));

    auto by = [&](std::optional<JobStatus> status, const std::string& type) {
        sdk::JobQuery query = query_of("tenant-1", 2);
        query.status = status;
        query.analysis_type = type;
        return list_all(query);
    };
    using Ids = std::vector<std::string>;
    EXPECT_EQ(by(JobStatus::completed, ""), (Ids{diseases[1], pests[1]}));
    EXPECT_EQ(by(JobStatus::queued, ""), (Ids{diseases[0], pests[2]}));
    EXPECT_EQ(by(JobStatus::processing, ""), (Ids{pests[0]}));
    EXPECT_EQ(by(JobStatus::failed, ""), Ids{});
    EXPECT_EQ(by(std::nullopt, "disease"), diseases);
    EXPECT_EQ(by(JobStatus::completed, "pest"), (Ids{pests[1]}));
    EXPECT_EQ(by(JobStatus::queued, "pest"), (Ids{pests[2]}));
    EXPECT_EQ(by(std::nullopt, "comprehensive"), Ids{});
}

TEST_F(RedisJobListTest, ANextPageIsNotShiftedByJobsCreatedMeanwhile) {
    const auto older = create_jobs("older", 6);
    sdk::JobPage first = store_.list(query_of("tenant-1", 4));
    const auto newer = create_jobs("newer", 5);
    sdk::JobPage second = store_.list(query_of("tenant-1", 4, first.next));
    EXPECT_EQ(ids_of(first), (std::vector<std::string>(older.begin(), older.begin() + 4)));
    EXPECT_EQ(ids_of(second), (std::vector<std::string>(older.begin() + 4, older.end())));
    EXPECT_TRUE(second.next.empty());
    EXPECT_EQ(ids_of(store_.list(query_of("tenant-1", 5))), newer);
}

TEST_F(RedisJobListTest, AnExpiredJobLeavesTheListingAndItsIndexes) {
    const auto ids = create_jobs("job", 5);
    probe_.run({"DEL", prefix_ + "job:" + ids[1]});
    probe_.run({"DEL", prefix_ + "job:" + ids[3]});
    EXPECT_EQ(list_all(query_of("tenant-1", 2)),
              (std::vector<std::string>{ids[0], ids[2], ids[4]}));
    const std::string any_index = prefix_ + "list:8:tenant-1:*:*";
    EXPECT_EQ(probe_.integer({"ZCARD", any_index}), 3) << "the listing drops what it met";
    std::int64_t ttl = probe_.integer({"TTL", any_index});
    EXPECT_GT(ttl, 0);
    EXPECT_LE(ttl, kTtlSeconds);

    // The oldest entries of an index go with the next create, even when no listing meets them.
    const std::string queued_index = prefix_ + "list:8:tenant-1:queued:*";
    probe_.run({"DEL", prefix_ + "job:" + ids[4]});
    EXPECT_EQ(probe_.integer({"ZCARD", queued_index}), 5);
    create_jobs("later", 1);
    EXPECT_EQ(probe_.integer({"ZCARD", queued_index}), 4) << "5 - ids[4] - ids[3] + later-0";
}

TEST_F(RedisJobListTest, EraseRemovesTheJobFromEveryIndex) {
    const auto ids = create_jobs("job", 1);
    EXPECT_EQ(list_keys(), 4);
    store_.erase(ids[0]);
    EXPECT_EQ(list_all(query_of("tenant-1", 10)), std::vector<std::string>{});
    EXPECT_EQ(list_keys(), 0) << "no index is left for a rolled-back create";
}

TEST_F(RedisJobListTest, APositionTheStoreDidNotHandOutIsRefused) {
    create_jobs("job", 1);
    for (const std::string& after :
         {std::string("garbage"), std::string("123:job-1"), std::string(16, '1') + ":",
          std::string(16, '1') + ":a b", "x" + std::string(15, '1') + ":job-1"}) {
        SCOPED_TRACE(after);
        EXPECT_THROW(store_.list(query_of("tenant-1", 5, after)), sdk::InvalidCursor);
    }
    // A well-formed position past every job is an empty last page.
    sdk::JobPage page = store_.list(query_of("tenant-1", 5, std::string(16, '0') + ":job-0"));
    EXPECT_TRUE(page.jobs.empty());
    EXPECT_TRUE(page.next.empty());
}

TEST(RedisJobStoreOutage, StartsWithoutRedisAndHealsAfterRestarts) {
    constexpr std::int64_t kTimeoutMs = 300;
    PrivateRedis server;
    RecordingLog log;
    sdk::PluginContext context{log};
    RedisJobStore store;
    store.configure(store_config(server.url(), "visiongw-test:outage:", kTimeoutMs), context);
    EXPECT_NO_THROW(store.start());
    EXPECT_FALSE(store.health().ok);
    auto elapsed = time_unavailable([&] { store.get("job-1"); });
    EXPECT_LT(elapsed, 2 * std::chrono::milliseconds(kTimeoutMs));

    server.start();
    store.create(queued_job("job-1"));
    EXPECT_TRUE(store.health().ok);

    server.stop();
    elapsed =
        time_unavailable([&] { store.transition("job-1", change_to(JobStatus::processing)); });
    EXPECT_LT(elapsed, 2 * std::chrono::milliseconds(kTimeoutMs));
    sdk::Health down = store.health();
    EXPECT_FALSE(down.ok);
    EXPECT_NE(down.detail.find("redis 127.0.0.1:"), std::string::npos) << down.detail;

    server.start();  // an empty server: the record is gone, the scripts must be loaded again
    store.create(queued_job("job-1"));
    EXPECT_EQ(store.transition("job-1", change_to(JobStatus::processing)).outcome,
              TransitionOutcome::applied);
    EXPECT_TRUE(store.file_in_use("abc.jpg"));
    EXPECT_GT(store.metrics()[0].value, 0);
}

TEST(RedisJobStoreOutage, PooledConnectionsSurviveARestartUnnoticed) {
    PrivateRedis server;
    server.start();
    RecordingLog log;
    sdk::PluginContext context{log};
    RedisJobStore store;
    store.configure(store_config(server.url(), "visiongw-test:restart:", 300), context);
    store.create(queued_job("job-1"));

    server.stop();
    server.start();
    EXPECT_FALSE(store.get("job-1"));  // a stale idle connection is replaced, not reported
    EXPECT_EQ(store.metrics()[0].value, 0);
}

TEST(RedisJobStoreOutage, FrozenRedisTimesOutInsteadOfHanging) {
    constexpr std::int64_t kTimeoutMs = 300;
    PrivateRedis server;
    server.start();
    RecordingLog log;
    sdk::PluginContext context{log};
    RedisJobStore store;
    store.configure(store_config(server.url(), "visiongw-test:frozen:", kTimeoutMs), context);
    store.create(queued_job("job-1"));

    server.freeze();
    auto elapsed = time_unavailable([&] { store.get("job-1"); });
    EXPECT_GE(elapsed, std::chrono::milliseconds(kTimeoutMs) - 50ms);
    EXPECT_LT(elapsed, 2 * std::chrono::milliseconds(kTimeoutMs));
    server.resume();
    EXPECT_TRUE(store.get("job-1"));
}

TEST(RedisJobStoreAuth, LogsInAndSelectsTheDatabase) {
    PrivateRedis server("--requirepass s3cret");
    server.start();
    RecordingLog log;
    sdk::PluginContext context{log};
    RedisJobStore store;
    store.configure(store_config(server.url(":s3cret@") + "/2", "visiongw-test:auth:"), context);
    store.create(queued_job("job-1"));
    EXPECT_TRUE(store.get("job-1"));

    RedisJobStore other_database;
    other_database.configure(store_config(server.url(":s3cret@") + "/0", "visiongw-test:auth:"),
                             context);
    EXPECT_FALSE(other_database.get("job-1"));

    RedisJobStore wrong_password;
    wrong_password.configure(store_config(server.url(":wrong@"), "visiongw-test:auth:"), context);
    EXPECT_THROW(wrong_password.get("job-1"), sdk::Unavailable);
}

TEST(RedisJobStoreConfig, UnparsableUrlIsAConfigError) {
    RecordingLog log;
    sdk::PluginContext context{log};
    for (std::string url : {"not a url", "http://127.0.0.1:6379", "redis://", "redis://host:port",
                            "redis://127.0.0.1:6379/db", "redis://127.0.0.1:6379/0?x=1"}) {
        RedisJobStore store;
        try {
            store.configure(store_config(url, "visiongw:"), context);
            ADD_FAILURE() << url << " was accepted";
        } catch (const sdk::ConfigError& error) {
            EXPECT_NE(std::string(error.what()).find(url), std::string::npos) << error.what();
        }
    }
}

TEST(RedisJobStoreConfig, UrlFormsParse) {
    RedisEndpoint plain = parse_redis_url("redis://10.0.0.5:6390");
    EXPECT_EQ(plain.host, "10.0.0.5");
    EXPECT_EQ(plain.port, 6390);
    EXPECT_EQ(plain.database, 0);
    EXPECT_TRUE(plain.password.empty());

    RedisEndpoint secured = parse_redis_url("redis://:pa%3Ass@cache:6379/3");
    EXPECT_EQ(secured.host, "cache");
    EXPECT_EQ(secured.password, "pa:ss");
    EXPECT_TRUE(secured.username.empty());
    EXPECT_EQ(secured.database, 3);

    EXPECT_EQ(parse_redis_url("redis://app:pw@cache").username, "app");
    EXPECT_EQ(parse_redis_url("redis://cache").port, 6379);
}

// The webhook outbox: a final state makes a job's webhook due, claims lease it, attempts are
// recorded once.
class RedisWebhookOutboxTest : public RedisJobStoreTest {
protected:
    void create_with_callback(const std::string& id) {
        sdk::JobRecord record = queued_job(id);
        record.callback_url = "https://hooks.example.com/done?job=" + id;
        store_.create(record);
    }

    std::vector<std::string> claim(std::chrono::milliseconds lease = 60s) {
        std::vector<std::string> ids;
        for (const auto& job : store_.claim_due_webhooks(lease, 10))
            ids.push_back(job.id);
        return ids;
    }

    static sdk::WebhookAttempt failed_attempt(int attempt,
                                              std::optional<std::chrono::milliseconds> retry) {
        sdk::WebhookAttempt outcome;
        outcome.attempt = attempt;
        outcome.error = "HTTP 500 Internal Server Error";
        outcome.retry_after = retry;
        return outcome;
    }
};

TEST_F(RedisWebhookOutboxTest, AJobWithACallbackIsDueOnlyOnceFinal) {
    create_with_callback("job-1");
    store_.create(queued_job("job-2"));  // no callback_url: never in the outbox
    auto stored = store_.get("job-1");
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->callback_url, "https://hooks.example.com/done?job=job-1");
    EXPECT_EQ(stored->webhook.status, sdk::WebhookStatus::pending);
    EXPECT_EQ(stored->webhook.attempts, 0);
    EXPECT_TRUE(claim().empty());

    store_.transition("job-1", change_to(JobStatus::processing));
    EXPECT_TRUE(claim().empty()) << "not final yet";
    store_.transition("job-1", change_to(JobStatus::completed));
    store_.transition("job-2", change_to(JobStatus::completed));
    EXPECT_EQ(claim(), std::vector<std::string>{"job-1"});
    EXPECT_TRUE(claim().empty()) << "claimed: leased to its claimer";
}

TEST_F(RedisWebhookOutboxTest, AClaimWhoseAttemptIsNotRecordedComesBackAfterItsLease) {
    create_with_callback("job-1");
    store_.transition("job-1", change_to(JobStatus::cancelled));
    EXPECT_EQ(claim(200ms), std::vector<std::string>{"job-1"});
    EXPECT_TRUE(claim().empty());
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(claim(), std::vector<std::string>{"job-1"});
}

TEST_F(RedisWebhookOutboxTest, FailuresRetryAfterTheirDelayAndOneSuccessIsRecordedOnce) {
    create_with_callback("job-1");
    store_.transition("job-1", change_to(JobStatus::failed));
    ASSERT_EQ(claim(), std::vector<std::string>{"job-1"});
    EXPECT_TRUE(store_.record_webhook_attempt("job-1", failed_attempt(1, 200ms)));
    EXPECT_FALSE(store_.record_webhook_attempt("job-1", failed_attempt(1, 200ms)))
        << "the same attempt again is stale";
    auto retrying = store_.get("job-1");
    EXPECT_EQ(retrying->webhook.status, sdk::WebhookStatus::pending);
    EXPECT_EQ(retrying->webhook.attempts, 1);
    EXPECT_EQ(retrying->webhook.last_error, "HTTP 500 Internal Server Error");
    EXPECT_TRUE(claim().empty()) << "not due before its retry delay";
    std::this_thread::sleep_for(300ms);
    auto due = store_.claim_due_webhooks(60s, 10);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].webhook.attempts, 1);

    sdk::WebhookAttempt delivered;
    delivered.attempt = 2;
    delivered.delivered = true;
    EXPECT_TRUE(store_.record_webhook_attempt("job-1", delivered));
    EXPECT_FALSE(store_.record_webhook_attempt("job-1", delivered));
    auto done = store_.get("job-1");
    EXPECT_EQ(done->webhook.status, sdk::WebhookStatus::delivered);
    EXPECT_EQ(done->webhook.attempts, 2);
    EXPECT_EQ(done->webhook.last_error, "");
    EXPECT_EQ(probe_.integer({"ZCARD", prefix_ + "webhooks:due"}), 0);
}

TEST_F(RedisWebhookOutboxTest, AGivenUpWebhookIsFailedAndLeavesTheOutbox) {
    create_with_callback("job-1");
    store_.transition("job-1", change_to(JobStatus::completed));
    ASSERT_EQ(claim(), std::vector<std::string>{"job-1"});
    EXPECT_TRUE(store_.record_webhook_attempt("job-1", failed_attempt(1, std::nullopt)));
    auto failed = store_.get("job-1");
    EXPECT_EQ(failed->webhook.status, sdk::WebhookStatus::failed);
    EXPECT_EQ(failed->webhook.last_error, "HTTP 500 Internal Server Error");
    EXPECT_EQ(probe_.integer({"ZCARD", prefix_ + "webhooks:due"}), 0);
}

TEST_F(RedisWebhookOutboxTest, AnExpiredJobLeavesTheOutboxAtItsNextClaim) {
    create_with_callback("job-1");
    store_.transition("job-1", change_to(JobStatus::completed));
    probe_.run({"DEL", prefix_ + "job:job-1"});
    EXPECT_TRUE(claim().empty());
    EXPECT_EQ(probe_.integer({"ZCARD", prefix_ + "webhooks:due"}), 0);
    EXPECT_FALSE(store_.record_webhook_attempt("job-1", failed_attempt(1, 1s)));
}

}  // namespace
}  // namespace visiongw::redis
