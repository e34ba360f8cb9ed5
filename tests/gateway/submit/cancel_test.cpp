// DELETE /api/v1/vision/jobs/{id}/cancel: final states are final, and a cancelled job's image
// is released once no other live job uses it.
#include <Poco/UUIDGenerator.h>
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>

#include "gateway_support.h"

namespace visiongw::testing {
namespace {

using namespace std::chrono_literals;

class CancelTest : public GatewaySuite {
protected:
    static void SetUpTestSuite() { start_gateway(); }

    static std::string submit_job(const std::string& image) {
        HttpAnswer answer = submit(gateway(), leaf_form(image));
        EXPECT_EQ(answer.status, 202) << answer.body;
        return parse_object(answer.body)->getValue<std::string>("job_id");
    }

    static HttpAnswer cancel(const std::string& job_id) {
        return http_request(gateway().port(), "DELETE", job_path(job_id) + "/cancel");
    }

    static std::string status_of(const std::string& job_id) {
        HttpAnswer answer = http_request(gateway().port(), "GET", job_path(job_id));
        return answer.status == 200 ? parse_object(answer.body)->getValue<std::string>("status")
                                    : "HTTP " + std::to_string(answer.status);
    }

    static void expect_cancelled(const std::string& job_id) {
        HttpAnswer answer = cancel(job_id);
        ASSERT_EQ(answer.status, 200) << answer.body;
        auto job = parse_object(answer.body);
        EXPECT_EQ(job->getValue<std::string>("job_id"), job_id);
        EXPECT_EQ(job->getValue<std::string>("status"), "cancelled");
    }

    // Where the local storage plugin keeps `image`: root/ab/cd/<sha256>.png.
    static std::filesystem::path blob_of(const std::string& image) {
        const std::string sha = sha256_hex(image);
        return std::filesystem::path(gateway().storage_root()) / sha.substr(0, 2) /
               sha.substr(2, 2) / (sha + ".png");
    }
};

TEST_F(CancelTest, QueuedJobIsCancelledAndCancellingAgainIsFine) {
    const std::string job_id = submit_job(make_png(16, 16, 21));
    expect_cancelled(job_id);
    EXPECT_EQ(status_of(job_id), "cancelled");
    expect_cancelled(job_id);
}

TEST_F(CancelTest, CompletedJobCannotBeCancelled) {
    const std::string job_id = submit_job(make_png(16, 16, 22));
    publish_worker_event(gateway(), R"({"schema_version":1,"job_id":")" + job_id +
                                        R"(","event":"completed","result":{"ok":true}})");
    ASSERT_TRUE(eventually([&] { return status_of(job_id) == "completed"; }, 10s))
        << status_of(job_id);
    expect_error(cancel(job_id), 409, "job_finished");
    EXPECT_EQ(status_of(job_id), "completed");
}

TEST_F(CancelTest, UnknownJobIsNotFound) {
    const std::string job_id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    expect_error(cancel(job_id), 404, "job_not_found");
}

TEST_F(CancelTest, MalformedJobIdIsABadRequest) {
    for (const char* job_id :
         {"not-a-job-id", "3f0c2a4e", "3f0c2a4e-8b1d-4c6e-9f7a-0123456789ab0"}) {
        SCOPED_TRACE(job_id);
        expect_error(cancel(job_id), 400, "invalid_job_id");
    }
}

// RFC 4122 reads a UUID's hex digits in either case; answers name the job as it was made.
TEST_F(CancelTest, JobIdIsReadInEitherCase) {
    const std::string job_id = submit_job(make_png(16, 16, 26));
    std::string shouted = job_id;
    for (char& c : shouted)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    ASSERT_NE(shouted, job_id);
    EXPECT_EQ(status_of(shouted), "queued");
    HttpAnswer answer = cancel(shouted);
    ASSERT_EQ(answer.status, 200) << answer.body;
    EXPECT_EQ(parse_object(answer.body)->getValue<std::string>("job_id"), job_id);
    EXPECT_EQ(status_of(job_id), "cancelled");
}

TEST_F(CancelTest, ImageOfTheOnlyJobIsReleased) {
    const std::string image = make_png(16, 16, 23);
    const std::string job_id = submit_job(image);
    ASSERT_TRUE(std::filesystem::exists(blob_of(image)));
    expect_cancelled(job_id);
    EXPECT_FALSE(std::filesystem::exists(blob_of(image)));
}

TEST_F(CancelTest, ImageStaysWhileAnotherQueuedJobUsesIt) {
    const std::string image = make_png(16, 16, 24);
    const std::string first = submit_job(image);
    const std::string second = submit_job(image);
    expect_cancelled(first);
    EXPECT_TRUE(std::filesystem::exists(blob_of(image)));
    EXPECT_EQ(status_of(second), "queued");
    expect_cancelled(second);
    EXPECT_FALSE(std::filesystem::exists(blob_of(image)));
}

}  // namespace
}  // namespace visiongw::testing
