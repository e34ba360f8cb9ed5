// GET /health/metrics: every line is valid Prometheus text exposition, the families an
// operator relies on are there with their types, and the numbers move with the requests made.
#include <gtest/gtest.h>

#include <chrono>
#include <limits>

#include "operations_support.h"

namespace visiongw::testing {
namespace {

// The parser the other tests rely on accepts the format and nothing else.
TEST(ExpositionParserTest, AcceptsTheTextFormatAndRejectsAnythingElse) {
    const std::string histogram =
        "# HELP h_seconds latency\n"
        "# TYPE h_seconds histogram\n"
        "h_seconds_bucket{route=\"/a\",le=\"0.5\"} 1\n"
        "h_seconds_bucket{route=\"/a\",le=\"+Inf\"} 2\n"
        "h_seconds_sum{route=\"/a\"} 0.7\n"
        "h_seconds_count{route=\"/a\"} 2\n";
    const Exposition parsed = parse_exposition(
        "# TYPE up gauge\nup{job=\"a \\\"b\\\" c\\n\",} +Inf 1700000000000\n\n" + histogram);
    EXPECT_EQ(parsed.value("up", {{"job", "a \"b\" c\n"}}),
              std::numeric_limits<double>::infinity());
    EXPECT_EQ(parsed.value("h_seconds_count", {{"route", "/a"}}), 2.0);
    for (const std::string bad : {
             "up 1\n",                                      // no TYPE
             "# TYPE up gauge\nup 1",                       // no final line feed
             "# TYPE up gauge\nup  1\n",                    // two spaces
             "# TYPE up gauge\nup one\n",                   // not a number
             "# TYPE up gauge\nup{a=\"1\" 1\n",             // unclosed labels
             "# TYPE up gauge\nup{a=\"1\",a=\"2\"} 1\n",    // a label twice
             "# TYPE up gauge\nup{a=1} 1\n",                // unquoted value
             "# TYPE up gauge\nup 1 2 3\n",                 // trailing text
             "# TYPE up gauge\n# TYPE up counter\nup 1\n",  // a second TYPE
             "# TYPE up meter\nup 1\n",                     // unknown type
             "# a comment\n",                               // neither HELP nor TYPE
             // buckets that are not cumulative
             "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count "
             "1\n",
         }) {
        EXPECT_THROW(parse_exposition(bad), std::runtime_error) << bad;
    }
}

class MetricsTest : public OperationsTest {
protected:
    void SetUp() override { start_gateway(); }
};

TEST_F(MetricsTest, EveryFamilyAnOperatorNeedsIsExposedWithItsType) {
    // start() polled /health. A request is counted right after its answer is sent, so the
    // first scrape may come before the last poll is counted (seen once in CI): wait (bounded).
    Exposition metrics;
    eventually(
        [&] {
            metrics = scrape(gateway());
            return metrics.types.count("visiongw_http_request_duration_seconds") != 0 &&
                   metrics.value("visiongw_http_requests_total",
                                 {{"route", "/health"}, {"method", "GET"}, {"status", "200"}});
        },
        std::chrono::seconds(5));
    const std::map<std::string, std::string> expected{
        {"visiongw_http_requests_total", "counter"},
        {"visiongw_http_request_duration_seconds", "histogram"},
        {"visiongw_uploaded_bytes_total", "counter"},
        {"visiongw_upload_size_bytes", "histogram"},
        {"visiongw_queue_publish_duration_seconds", "histogram"},
        {"visiongw_queue_publish_failures_total", "counter"},
        {"visiongw_submit_step_duration_seconds", "histogram"},
        {"visiongw_rate_limited_requests_total", "counter"},
        {"visiongw_rabbitmq_reconnects_total", "counter"},
        {"visiongw_redis_errors_total", "counter"},
        {"visiongw_dependency_up", "gauge"},
        {"visiongw_storage_files", "gauge"},
        {"visiongw_storage_bytes", "gauge"},
        {"visiongw_storage_free_bytes", "gauge"},
    };
    for (const auto& [family, type] : expected) {
        auto it = metrics.types.find(family);
        ASSERT_NE(it, metrics.types.end()) << "no family " << family;
        EXPECT_EQ(it->second, type) << family;
    }
    EXPECT_GE(metrics.value("visiongw_http_requests_total",
                            {{"route", "/health"}, {"method", "GET"}, {"status", "200"}}),
              1.0);
    // Plugin numbers carry the plugin's name.
    EXPECT_EQ(metrics.value("visiongw_redis_errors_total", {{"plugin", "redis"}}), 0.0);
    EXPECT_EQ(metrics.value("visiongw_rabbitmq_reconnects_total", {{"plugin", "rabbitmq"}}), 0.0);
    EXPECT_EQ(metrics.value("visiongw_dependency_up", {{"dependency", "rabbitmq"}}), 1.0);
    EXPECT_EQ(metrics.value("visiongw_storage_files"), 0.0);
    EXPECT_GT(metrics.value("visiongw_storage_free_bytes").value_or(0), 0.0);
}

TEST_F(MetricsTest, ASubmitMovesRequestUploadJobAndPublishNumbers) {
    const Labels accepted{
        {"route", "/api/v1/vision/analyze"}, {"method", "POST"}, {"status", "202"}};
    const Labels rejected{
        {"route", "/api/v1/vision/analyze"}, {"method", "POST"}, {"status", "415"}};
    const Labels analyze{{"route", "/api/v1/vision/analyze"}};
    const std::string image = make_png(48, 32, 11);
    const Exposition before = scrape(gateway());

    submit_job(leaf_form(image));
    EXPECT_EQ(submit(gateway(), leaf_form("not an image")).status, 415);
    // A request is counted right after its answer is sent, so the scrape may come first: wait
    // (bounded) until both requests are in.
    const double expected_count =
        before.value("visiongw_http_request_duration_seconds_count", analyze).value_or(0) + 2;
    Exposition after;
    eventually(
        [&] {
            after = scrape(gateway());
            return after.value("visiongw_http_request_duration_seconds_count", analyze)
                       .value_or(0) >= expected_count;
        },
        std::chrono::seconds(5));

    EXPECT_EQ(after.value("visiongw_http_requests_total", accepted),
              before.value("visiongw_http_requests_total", accepted).value_or(0) + 1);
    EXPECT_EQ(after.value("visiongw_http_requests_total", rejected),
              before.value("visiongw_http_requests_total", rejected).value_or(0) + 1);
    EXPECT_EQ(
        after.value("visiongw_http_request_duration_seconds_count", analyze),
        before.value("visiongw_http_request_duration_seconds_count", analyze).value_or(0) + 2);
    EXPECT_EQ(after.value("visiongw_uploaded_bytes_total"),
              before.value("visiongw_uploaded_bytes_total").value() + double(image.size()))
        << "only the accepted image counts, by its own size";
    EXPECT_EQ(after.value("visiongw_upload_size_bytes_count"),
              before.value("visiongw_upload_size_bytes_count").value() + 1);
    EXPECT_EQ(after.value("visiongw_jobs_total", {{"status", "queued"}}),
              before.value("visiongw_jobs_total", {{"status", "queued"}}).value_or(0) + 1);
    EXPECT_EQ(after.value("visiongw_queue_publish_duration_seconds_count"),
              before.value("visiongw_queue_publish_duration_seconds_count").value() + 1);
    EXPECT_EQ(after.value("visiongw_queue_publish_failures_total"), 0.0);

    // The accepted submit (not the refused one) in each step; the steps fit in the requests'
    // time, and the publish step is the very time the publish histogram observed.
    auto delta = [&](const std::string& name, const Labels& labels) {
        return after.value(name, labels).value_or(0) - before.value(name, labels).value_or(0);
    };
    double steps = 0;
    for (const char* step : {"upload", "commit", "record", "publish"}) {
        const Labels labels{{"step", step}};
        EXPECT_EQ(delta("visiongw_submit_step_duration_seconds_count", labels), 1.0) << step;
        EXPECT_GT(delta("visiongw_submit_step_duration_seconds_sum", labels), 0.0) << step;
        steps += delta("visiongw_submit_step_duration_seconds_sum", labels);
    }
    EXPECT_LE(steps, delta("visiongw_http_request_duration_seconds_sum", analyze));
    EXPECT_NEAR(delta("visiongw_submit_step_duration_seconds_sum", {{"step", "publish"}}),
                delta("visiongw_queue_publish_duration_seconds_sum", {}), 1e-9);
}

}  // namespace
}  // namespace visiongw::testing
