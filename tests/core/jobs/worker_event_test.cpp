// What each worker event does to its job record, and the defaults of events without a body.
#include "jobs/worker_event.h"

#include <gtest/gtest.h>

namespace visiongw::core {
namespace {

sdk::JobChange change_of(const std::string& json) {
    return job_change_of(protocol::decode_worker_event(json));
}

TEST(WorkerEventChange, StartedAndProgressMeanProcessing) {
    auto started = change_of(R"({"schema_version":1,"job_id":"j","event":"started"})");
    EXPECT_EQ(started.status, sdk::JobStatus::processing);
    EXPECT_FALSE(started.updated_at.empty());
    auto progress =
        change_of(R"({"schema_version":1,"job_id":"j","event":"progress","progress":140})");
    EXPECT_EQ(progress.status, sdk::JobStatus::processing);
    EXPECT_EQ(progress.progress, 100);
}

TEST(WorkerEventChange, CompletedStoresTheResultAsItsJsonText) {
    auto completed = change_of(R"({"schema_version":1,"job_id":"j","event":"completed",)"
                               R"("result":{"score":0.5,"labels":["aphid"]}})");
    EXPECT_EQ(completed.status, sdk::JobStatus::completed);
    EXPECT_EQ(completed.result_json, R"({"labels":["aphid"],"score":0.5})");
    EXPECT_EQ(change_of(R"({"schema_version":1,"job_id":"j","event":"completed"})").result_json,
              "{}");
}

TEST(WorkerEventChange, FailedStoresTheErrorOrAnAnalysisFailure) {
    auto failed = change_of(R"({"schema_version":1,"job_id":"j","event":"failed",)"
                            R"("error":{"message":"too slow","code":"timeout"}})");
    EXPECT_EQ(failed.status, sdk::JobStatus::failed);
    EXPECT_EQ(failed.error_json, R"({"code":"timeout","message":"too slow"})");
    EXPECT_EQ(change_of(R"({"schema_version":1,"job_id":"j","event":"failed"})").error_json,
              R"({"code":"analysis_failed","message":""})");
}

}  // namespace
}  // namespace visiongw::core
