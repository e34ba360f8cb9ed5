// A dependency that is down: submit answers 503 with Retry-After and leaves nothing behind, and
// the same gateway process accepts jobs again once the dependency is back. These tests stop the
// shared test RabbitMQ and Redis (and always start them again), so they run serially.
#include <gtest/gtest.h>

#include <future>

#include "broker_control.h"
#include "gateway_support.h"

namespace visiongw::testing {
namespace {

using namespace std::chrono_literals;

class OutageTest : public GatewaySuite {
protected:
    static void SetUpTestSuite() {
        start_gateway({{"rabbitmq", "max_reconnect_backoff_ms = 1000\n"}});
    }

    // A distinct image per call, so that no upload is deduplicated against an earlier one.
    static MultipartBody fresh_form() {
        static unsigned seed = 100;
        return leaf_form(make_png(16, 16, ++seed));
    }

    // What one accepted submit adds to the footprint.
    static Footprint cost_of_one_submit() {
        const Footprint before = footprint_of(gateway());
        HttpAnswer answer = submit(gateway(), fresh_form());
        EXPECT_EQ(answer.status, 202) << answer.body;
        return footprint_of(gateway()) - before;
    }

    // Submits while the dependency is down: 503 with Retry-After, no file left behind.
    static void expect_unavailable(std::size_t files_before) {
        HttpAnswer answer = submit(gateway(), fresh_form());
        expect_error(answer, 503, "service_unavailable");
        EXPECT_FALSE(answer.header("retry-after").empty());
        EXPECT_EQ(gateway().stored_files(), files_before);
    }

    // Submits (a new image each time) until one is accepted, for up to 15 s.
    static void expect_recovery() {
        HttpAnswer answer;
        EXPECT_TRUE(eventually(
            [&] {
                answer = submit(gateway(), fresh_form());
                return answer.status == 202;
            },
            15s))
            << answer.status << " " << answer.body;
        EXPECT_TRUE(gateway().running());
    }
};

TEST_F(OutageTest, BrokerDownAnswers503ThenRecoversWithoutRestart) {
    // The first submit also makes the job list's indexes of its tenant (four Redis keys that
    // every later submit shares): measure one after it.
    cost_of_one_submit();
    const Footprint cost = cost_of_one_submit();
    const Footprint before = footprint_of(gateway());
    {
        BrokerOutage outage;
        expect_unavailable(before.files);
        EXPECT_EQ(gateway().redis_keys(), before.keys) << "the job record is rolled back";
    }
    EXPECT_EQ(gateway().queue_depth(), before.messages) << "nothing was queued meanwhile";
    expect_recovery();
    EXPECT_EQ(footprint_of(gateway()) - before, cost) << "only the accepted submit left a trace";
}

TEST_F(OutageTest, RedisDownAnswers503ThenRecoversWithoutRestart) {
    const Footprint cost = cost_of_one_submit();
    const Footprint before = footprint_of(gateway());
    {
        RedisOutage outage;
        expect_unavailable(before.files);
        EXPECT_EQ(gateway().queue_depth(), before.messages);
    }
    expect_recovery();
    // Redis came back empty: only the accepted submit's keys are there.
    const Footprint after = footprint_of(gateway());
    EXPECT_EQ(after.keys, cost.keys);
    EXPECT_EQ(after.files, before.files + cost.files);
    EXPECT_EQ(after.messages, before.messages + cost.messages);
}

// While the first submit with a key waits for the broker's confirm (a memory alarm blocks its
// publishing connection), a retry is told to come back: 409 with Retry-After. The first ends in
// 503 when the confirm does not come in time; rolled back, it frees its key, and the retry after
// it makes the job.
TEST(IdempotencyInFlightTest, ARetryWhileTheFirstWaitsIsInProgressAndARolledBackFirstFreesTheKey) {
    GatewayProcess gateway(
        std::map<std::string, std::string>{{"upload", "publish_timeout_ms = 2000\n"}});
    gateway.start();
    const MultipartBody form = leaf_form(make_png(16, 16, 901));
    const std::map<std::string, std::string> key{{"Idempotency-Key", "in-flight-1"}};
    // A watermark no broker stays under raises the memory alarm; the destructor restores it.
    struct MemoryAlarm {
        std::string watermark =
            rabbitmqctl("eval 'vm_memory_monitor:get_vm_memory_high_watermark().'");
        MemoryAlarm() { rabbitmqctl("set_vm_memory_high_watermark 0.0000001"); }
        ~MemoryAlarm() {
            try {
                end();
            } catch (const std::exception& e) {
                ADD_FAILURE() << "the memory alarm stays on: " << e.what();
            }
        }
        void end() {
            rabbitmqctl("set_vm_memory_high_watermark " +
                        watermark.substr(0, watermark.find('\n')));
        }
    } alarm;
    const std::size_t keys_before = gateway.redis_keys();
    auto first = std::async(std::launch::async,
                            [&] { return post_form(gateway.port(), kAnalyzePath, form, key); });
    // The first holds the key once its record is written; its publish then waits.
    ASSERT_TRUE(eventually([&] { return gateway.redis_keys() > keys_before; }, 3s));
    HttpAnswer retry = post_form(gateway.port(), kAnalyzePath, form, key);
    expect_error(retry, 409, "idempotency_key_in_progress");
    EXPECT_EQ(retry.header("retry-after"), "1");
    const HttpAnswer answered = first.get();
    expect_error(answered, 503, "service_unavailable");
    alarm.end();
    EXPECT_EQ(gateway.redis_keys(), keys_before) << "record and key rolled back";
    HttpAnswer after;
    EXPECT_TRUE(eventually(
        [&] {
            after = post_form(gateway.port(), kAnalyzePath, form, key);
            return after.status == 202;
        },
        10s))
        << after.status << " " << after.body;
    EXPECT_EQ(after.header("idempotent-replayed"), "") << "a new job, not a replay";
    gateway.stop();
}

}  // namespace
}  // namespace visiongw::testing
