// Readiness follows the dependencies: /health/ready answers 503 (naming the one that is down)
// while the test Redis or RabbitMQ is stopped and 200 again once it is back, while liveness
// (/health) calls no dependency and stays 200. These tests stop the shared test services (and
// always start them again), so they run serially.
#include <gtest/gtest.h>

#include "operations_support.h"

namespace visiongw::testing {
namespace {

using namespace std::chrono_literals;

// What the gateway checks by default: its storage, job store and queue, and every plugin
// (the analysis validators included).
const char* const kChecks[] = {"file_storage", "redis",   "rabbitmq",
                               "pest",         "disease", "comprehensive"};

class ReadinessTest : public OperationsTest {
protected:
    void SetUp() override {
        start_gateway(
            {{"health", "cache_ms = 0\n"}, {"rabbitmq", "max_reconnect_backoff_ms = 500\n"}});
    }

    // Polls /health/ready until it answers `status`, then checks its body: every check is
    // named with its status and latency, and only `down` (if any) is down.
    void expect_readiness(int status, const std::string& down = "") {
        HttpAnswer answer;
        EXPECT_TRUE(eventually(
            [&] {
                answer = get("/health/ready");
                return answer.status == status;
            },
            20s))
            << "/health/ready kept answering " << answer.status << " " << answer.body;
        EXPECT_EQ(answer.header("content-type").rfind("application/json", 0), 0u);
        EXPECT_EQ(answer.header("retry-after").empty(), status == 200) << answer.body;
        auto body = parse_object(answer.body);
        EXPECT_EQ(body->getValue<std::string>("status"), status == 200 ? "ready" : "unavailable");
        auto checks = body->getObject("checks");
        ASSERT_TRUE(checks) << answer.body;
        for (const std::string name : kChecks) {
            auto check = checks->getObject(name);
            ASSERT_TRUE(check) << "no check " << name << " in " << answer.body;
            EXPECT_EQ(check->getValue<std::string>("status"), name == down ? "down" : "up")
                << name << " in " << answer.body;
            EXPECT_GE(check->getValue<double>("latency_ms"), 0.0) << answer.body;
        }
        EXPECT_EQ(get("/health").status, 200) << "liveness depends on no dependency";
    }
};

TEST_F(ReadinessTest, RedisDownMakesTheGatewayUnreadyUntilItReturns) {
    expect_readiness(200);
    {
        RedisOutage outage;
        expect_readiness(503, "redis");
    }
    expect_readiness(200);
}

TEST_F(ReadinessTest, BrokerDownMakesTheGatewayUnreadyUntilItReturns) {
    expect_readiness(200);
    {
        BrokerOutage outage;
        expect_readiness(503, "rabbitmq");
    }
    expect_readiness(200);
}

TEST_F(ReadinessTest, DependencyGaugesFollowTheChecks) {
    const Exposition before = scrape(gateway());
    for (const std::string name : kChecks)
        EXPECT_EQ(before.value("visiongw_dependency_up", {{"dependency", name}}), 1.0) << name;
    RedisOutage outage;
    expect_readiness(503, "redis");
    EXPECT_EQ(scrape(gateway()).value("visiongw_dependency_up", {{"dependency", "redis"}}), 0.0);
}

}  // namespace
}  // namespace visiongw::testing
