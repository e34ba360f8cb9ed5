// Helpers of the operations tests: a gateway per test (optionally with API keys), a strict
// parser of the Prometheus text exposition, the gateway's JSON log lines, and job shortcuts.
// Services, outages, worker events and error checks come from gateway_support.h.
#pragma once

#include <Poco/JSON/Object.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway_process.h"
#include "gateway_support.h"

namespace visiongw::testing {

using Labels = std::map<std::string, std::string>;

// One sample line of an exposition: `name{labels} value`.
struct MetricSample {
    std::string name;
    Labels labels;
    double value = 0;
};

// A scrape of /health/metrics.
struct Exposition {
    std::map<std::string, std::string> types;  // family name → counter, gauge, histogram, …
    std::vector<MetricSample> samples;
    // The value of the sample `name` with exactly `labels`; nullopt when there is none.
    std::optional<double> value(const std::string& name, const Labels& labels = {}) const;
};

// Parses the Prometheus text format 0.0.4 strictly: every line is `# HELP name text`,
// `# TYPE name type` (once, before the family's samples) or `name{label="value",…} value
// [timestamp]` of a family with a TYPE; histogram buckets are cumulative and end in a `+Inf`
// bucket equal to `_count`. Throws std::runtime_error naming the first line that breaks it.
Exposition parse_exposition(const std::string& text);

// GET /health/metrics, parsed; fails the test when it does not parse.
Exposition scrape(const GatewayProcess& gateway);

// The gateway's output as JSON objects, one per line; fails the test for a line that is not one.
std::vector<Poco::JSON::Object::Ptr> log_lines(const GatewayProcess& gateway);

// An API key of the generated key file.
struct ApiKey {
    std::string key;
    std::string tenant;
    std::string role;  // client or admin
    std::map<std::string, std::string> bearer() const {
        return {{"Authorization", "Bearer " + key}};
    }
};

// One gateway for one test, configured by it; stopped and its broker objects and Redis keys
// removed afterwards.
class OperationsTest : public ::testing::Test {
protected:
    // Starts a gateway with these extra ini lines; with `keys`, auth is on and a key file
    // (hashed with `visiongw --hash-key`) holds them.
    GatewayProcess& start_gateway(std::map<std::string, std::string> sections = {},
                                  const std::vector<ApiKey>& keys = {});
    GatewayProcess& gateway() { return *gateway_; }
    void TearDown() override;

    HttpAnswer get(const std::string& path, const std::map<std::string, std::string>& headers = {});
    HttpAnswer submit_as(const MultipartBody& form,
                         const std::map<std::string, std::string>& headers = {});
    // Submits `form`, expects 202 and returns the job id.
    std::string submit_job(const MultipartBody& form,
                           const std::map<std::string, std::string>& headers = {});
    // The job's status as its owner sees it.
    std::string job_status(const std::string& job_id,
                           const std::map<std::string, std::string>& headers = {});

private:
    std::unique_ptr<GatewayProcess> gateway_;
};

// Where the local storage keeps `image` (a PNG) under the gateway's storage root.
std::string blob_path(const GatewayProcess& gateway, const std::string& image);
// Publishes a worker's `completed` event (empty result) for the job to the gateway's events
// exchange, as a worker would.
void report_completed(const GatewayProcess& gateway, const std::string& job_id);

}  // namespace visiongw::testing
