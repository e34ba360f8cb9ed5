// A dependency that is down: submit answers 503 with Retry-After and leaves nothing behind, and
// the same gateway process accepts jobs again once the dependency is back. These tests stop the
// shared test RabbitMQ and Redis (and always start them again), so they run serially.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace visiongw::testing
