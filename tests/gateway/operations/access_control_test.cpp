// API keys, tenants and rate limits with auth on: who may call what, a tenant never sees
// another's jobs or uploads, token buckets per key and route class, and an access log that
// never holds a key or a prompt.
#include <gtest/gtest.h>

#include <sstream>

#include "operations_support.h"

namespace visiongw::testing {
namespace {

constexpr const char* kStatsPath = "/api/v1/vision/files/stats";
constexpr const char* kUnknownJob = "3f0c2a4e-8b1d-4c6e-9f7a-0123456789ab";

const ApiKey kTenantA{"vgw-test-key-tenant-a-6b1f0c", "tenant-a", "client"};
const ApiKey kTenantB{"vgw-test-key-tenant-b-92d4e7", "tenant-b", "client"};
const ApiKey kOperator{"vgw-test-key-operator-0a55c3", "ops", "admin"};

class AccessControlTest : public OperationsTest {
protected:
    void start(std::map<std::string, std::string> sections = {}) {
        start_gateway(std::move(sections), {kTenantA, kTenantB, kOperator});
    }

    HttpAnswer cancel(const std::string& job_id, const ApiKey& key) {
        return http_request(gateway().port(), "DELETE", job_path(job_id) + "/cancel", key.bearer());
    }

    // Checks the RateLimit-* headers of an answer.
    static void expect_rate_headers(const HttpAnswer& answer, int limit, int remaining) {
        EXPECT_EQ(answer.header("ratelimit-limit"), std::to_string(limit));
        EXPECT_EQ(answer.header("ratelimit-remaining"), std::to_string(remaining));
        EXPECT_FALSE(answer.header("ratelimit-reset").empty());
    }

    // A 429 of the API with every header a client needs to back off.
    static void expect_limited(const HttpAnswer& answer, int limit) {
        expect_error(answer, 429, "rate_limited");
        EXPECT_GE(std::atoi(answer.header("retry-after").c_str()), 1) << "Retry-After";
        expect_rate_headers(answer, limit, 0);
    }
};

// A browser page of an allowed origin may call the API: its preflight needs no key, and every
// answer (errors too) tells the browser it may read it. Other origins get nothing of CORS.
TEST_F(AccessControlTest, AllowedBrowserOriginsGetCorsAnswers) {
    const std::string farm = "https://farm.example.com";
    start({{"gateway", "cors_origins = " + farm + ", http://localhost:3000\n"}});
    auto preflight = [&](const std::string& origin) {
        return http_request(gateway().port(), "OPTIONS", kAnalyzePath,
                            {{"Origin", origin},
                             {"Access-Control-Request-Method", "POST"},
                             {"Access-Control-Request-Headers", "x-api-key, x-request-id"}});
    };
    HttpAnswer allowed = preflight(farm);
    EXPECT_EQ(allowed.status, 204) << allowed.body;
    EXPECT_EQ(allowed.header("access-control-allow-origin"), farm);
    EXPECT_EQ(allowed.header("vary"), "Origin");
    EXPECT_EQ(allowed.header("access-control-allow-methods"), "POST");
    for (const char* name : {"X-API-Key", "Authorization", "X-Request-ID", "Last-Event-ID",
                             "traceparent", "tracestate", "Idempotency-Key"}) {
        EXPECT_NE(allowed.header("access-control-allow-headers").find(name), std::string::npos)
            << name;
    }

    HttpAnswer refused = get(job_path(kUnknownJob), {{"Origin", farm}});
    expect_error(refused, 401, "unauthorized");
    EXPECT_EQ(refused.header("access-control-allow-origin"), farm);
    HttpAnswer answered =
        get(job_path(kUnknownJob), {{"Origin", farm}, {"X-API-Key", kTenantA.key}});
    expect_error(answered, 404, "job_not_found");
    EXPECT_EQ(answered.header("access-control-allow-origin"), farm);
    for (const char* name :
         {"Location", "X-Request-ID", "Retry-After", "traceresponse", "Idempotent-Replayed"}) {
        EXPECT_NE(answered.header("access-control-expose-headers").find(name), std::string::npos)
            << name;
    }

    const std::string stranger = "https://elsewhere.example.net";
    EXPECT_EQ(preflight(stranger).status, 405);
    EXPECT_EQ(preflight(stranger).header("access-control-allow-origin"), "");
    EXPECT_EQ(get(job_path(kUnknownJob), {{"Origin", stranger}, {"X-API-Key", kTenantA.key}})
                  .header("access-control-allow-origin"),
              "");
}

TEST_F(AccessControlTest, WithoutCorsOriginsNoOriginIsAllowed) {
    start();
    HttpAnswer preflight = http_request(
        gateway().port(), "OPTIONS", kAnalyzePath,
        {{"Origin", "https://farm.example.com"}, {"Access-Control-Request-Method", "POST"}});
    EXPECT_EQ(preflight.status, 405);
    EXPECT_EQ(preflight.header("access-control-allow-origin"), "");
}

TEST_F(AccessControlTest, ApiRoutesNeedAValidKey) {
    start();
    expect_error(get(job_path(kUnknownJob)), 401, "unauthorized");
    expect_error(get(job_path(kUnknownJob), {{"Authorization", "Bearer not-a-key"}}), 401,
                 "unauthorized");
    expect_error(get(job_path(kUnknownJob), {{"X-API-Key", "not-a-key"}}), 401, "unauthorized");
    HttpAnswer anonymous = submit(gateway(), leaf_form(make_png(8, 8, 1)));
    expect_error(anonymous, 401, "unauthorized");
    EXPECT_EQ(anonymous.header("www-authenticate").rfind("Bearer", 0), 0u);
    EXPECT_EQ(gateway().stored_files(), 0u);

    // Either header carries a key; probes and metrics stay open.
    expect_error(get(job_path(kUnknownJob), kTenantA.bearer()), 404, "job_not_found");
    expect_error(get(job_path(kUnknownJob), {{"X-API-Key", kTenantA.key}}), 404, "job_not_found");
    EXPECT_EQ(get("/health").status, 200);
    EXPECT_EQ(get("/health/metrics").status, 200);
}

TEST_F(AccessControlTest, FileStatsAndCleanupNeedTheAdminRole) {
    start();
    expect_error(get(kStatsPath, kTenantA.bearer()), 403, "forbidden");
    expect_error(
        http_request(gateway().port(), "POST", "/api/v1/vision/files/cleanup", kTenantA.bearer()),
        403, "forbidden");
    EXPECT_EQ(get(kStatsPath, kOperator.bearer()).status, 200);
    EXPECT_EQ(
        http_request(gateway().port(), "POST", "/api/v1/vision/files/cleanup", kOperator.bearer())
            .status,
        200);
}

TEST_F(AccessControlTest, AnotherTenantsJobIsNotFound) {
    start();
    const std::string job = submit_job(leaf_form(make_png(8, 8, 2)), kTenantA.bearer());
    expect_error(get(job_path(job), kTenantB.bearer()), 404, "job_not_found");
    expect_error(get(job_path(job) + "/events", kTenantB.bearer()), 404, "job_not_found");
    expect_error(cancel(job, kTenantB), 404, "job_not_found");
    EXPECT_EQ(job_status(job, kTenantA.bearer()), "queued") << "B's cancel did nothing";
    EXPECT_EQ(cancel(job, kTenantA).status, 200);
}

TEST_F(AccessControlTest, DedupNeverRevealsAnotherTenantsUpload) {
    start();
    const MultipartBody form = leaf_form(make_png(8, 8, 3));
    HttpAnswer first = submit_as(form, kTenantA.bearer());
    HttpAnswer second = submit_as(form, kTenantB.bearer());
    ASSERT_EQ(first.status, 202) << first.body;
    ASSERT_EQ(second.status, 202) << second.body;
    auto first_file = parse_object(first.body)->getObject("file");
    auto second_file = parse_object(second.body)->getObject("file");
    EXPECT_FALSE(first_file->getValue<bool>("deduplicated"));
    EXPECT_FALSE(second_file->getValue<bool>("deduplicated"));
    std::ostringstream first_text, second_text;
    first_file->stringify(first_text);
    second_file->stringify(second_text);
    EXPECT_EQ(second_text.str(), first_text.str()) << "B's answer looks like a first upload";
    EXPECT_EQ(gateway().stored_files(), 1u) << "the bytes are still stored once";
}

TEST_F(AccessControlTest, ABurstOverTheSubmitLimitGets429WhileAnotherKeyIsUnaffected) {
    // One token per 5 s: the burst of 3 is all a key has during the test, however slow it runs.
    start({{"rate_limit", "submit_per_second = 0.2\nsubmit_burst = 3\n"}});
    for (int i = 0; i < 5; ++i) {
        HttpAnswer answer = submit_as(leaf_form(make_png(8, 8, 10 + i)), kTenantA.bearer());
        if (i < 3) {
            EXPECT_EQ(answer.status, 202) << "submit " << i << ": " << answer.body;
            expect_rate_headers(answer, 3, 2 - i);
        } else {
            expect_limited(answer, 3);
        }
    }
    EXPECT_EQ(gateway().queue_depth(), 3u) << "a refused submit queues nothing";
    EXPECT_EQ(submit_as(leaf_form(make_png(8, 8, 20)), kTenantB.bearer()).status, 202);
    EXPECT_EQ(scrape(gateway()).value("visiongw_rate_limited_requests_total"), 2.0);
}

TEST_F(AccessControlTest, ReadsHaveTheirOwnLimit) {
    start({{"rate_limit",
            "submit_per_second = 0.2\nsubmit_burst = 1\nread_per_second = 0.2\nread_burst = 2\n"}});
    const std::string job = submit_job(leaf_form(make_png(8, 8, 30)), kTenantA.bearer());
    expect_limited(submit_as(leaf_form(make_png(8, 8, 31)), kTenantA.bearer()), 1);
    // A's submit budget is spent, its read budget is not.
    EXPECT_EQ(get(job_path(job), kTenantA.bearer()).status, 200);
    EXPECT_EQ(get(job_path(job), kTenantA.bearer()).status, 200);
    expect_limited(get(job_path(job), kTenantA.bearer()), 2);
    expect_error(get(job_path(job), kTenantB.bearer()), 404, "job_not_found");
}

TEST_F(AccessControlTest, GuessingKeysIsRateLimitedByAddress) {
    start({{"rate_limit", "read_per_second = 0.2\nread_burst = 2\n"}});
    const std::map<std::string, std::string> guess{{"Authorization", "Bearer guess-1"}};
    expect_error(get(job_path(kUnknownJob), guess), 401, "unauthorized");
    expect_error(get(job_path(kUnknownJob)), 401, "unauthorized");
    expect_limited(get(job_path(kUnknownJob), guess), 2);
    EXPECT_EQ(get(job_path(kUnknownJob), kTenantA.bearer()).status, 404)
        << "a valid key has its own bucket";
}

TEST_F(AccessControlTest, TheAccessLogIsOneJsonObjectPerLineWithoutKeysOrPrompts) {
    start();
    const std::string prompt = "secret prompt text 4c1e9b: never log me";
    const std::string request_id = "ops-access-log-7d21";
    auto headers = kTenantA.bearer();
    headers["X-Request-ID"] = request_id;
    HttpAnswer accepted =
        submit_as(leaf_form(make_png(8, 8, 40)).field("custom_prompt", prompt), headers);
    ASSERT_EQ(accepted.status, 202) << accepted.body;
    EXPECT_EQ(accepted.header("x-request-id"), request_id);
    const std::string job = parse_object(accepted.body)->getValue<std::string>("job_id");
    EXPECT_EQ(get(job_path(job), {{"X-API-Key", kTenantA.key}}).status, 200);
    EXPECT_EQ(get(job_path(job), {{"X-API-Key", "wrong-key-e81f"}}).status, 401);
    gateway().stop();

    bool logged = false;
    for (const auto& line : log_lines(gateway())) {
        EXPECT_TRUE(line->has("time") && line->has("level") && line->has("message"));
        if (line->optValue<std::string>("message", "") != "request")
            continue;
        for (const char* field : {"request_id", "route", "status", "duration_ms"})
            EXPECT_TRUE(line->has(field)) << "an access log line without " << field;
        if (line->optValue<std::string>("request_id", "") != request_id)
            continue;
        logged = true;
        EXPECT_EQ(line->getValue<std::string>("route"), kAnalyzePath);
        EXPECT_EQ(line->getValue<int>("status"), 202);
        EXPECT_GE(line->getValue<double>("duration_ms"), 0.0);
        EXPECT_EQ(line->getValue<std::string>("job_id"), job);
        double steps = 0;  // where the submit spent its time
        for (const char* step : {"upload_ms", "commit_ms", "record_ms", "publish_ms"}) {
            ASSERT_TRUE(line->has(step)) << "a submit's access log line without " << step;
            EXPECT_GE(line->getValue<double>(step), 0.0) << step;
            steps += line->getValue<double>(step);
        }
        // Each figure is rounded to the microsecond on its own.
        EXPECT_LE(steps, line->getValue<double>("duration_ms") + 0.004);
    }
    EXPECT_TRUE(logged) << "no access log line of request " << request_id;
    const std::string output = gateway().output();
    const std::string unit = "_ms\":";
    for (auto at = output.find(unit); at != std::string::npos; at = output.find(unit, at + 1)) {
        const auto key = output.rfind('"', at);  // the opening quote of "<step>_ms"
        const auto begin = at + unit.size();
        const std::string figure = output.substr(begin, output.find_first_of(",}", begin) - begin);
        const auto point = figure.find('.');
        EXPECT_TRUE(!figure.empty() &&
                    figure.find_first_not_of("0123456789.") == std::string::npos &&
                    (point == std::string::npos || figure.size() - point - 1 <= 3))
            << output.substr(key, begin - key) << figure
            << " is not in milliseconds to the microsecond";
    }
    for (const std::string& secret : {kTenantA.key, std::string("wrong-key-e81f"), prompt}) {
        EXPECT_EQ(output.find(secret), std::string::npos) << "the log holds '" << secret << "'";
    }
}

}  // namespace
}  // namespace visiongw::testing
