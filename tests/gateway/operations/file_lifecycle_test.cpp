// Stored images over their life: the janitor (on demand and on its own) removes those past
// their TTL that no unfinished job references and keeps the others; file stats report them;
// with free space below the floor an upload gets 507 and stores nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "operations_support.h"

namespace visiongw::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kStatsPath = "/api/v1/vision/files/stats";
constexpr const char* kCleanupPath = "/api/v1/vision/files/cleanup";

class FileLifecycleTest : public OperationsTest {
protected:
    // Images A and B, each a job; A's job completes (its image is no longer needed), B's stays
    // queued; both images are past their TTL of 1 s when this returns.
    void submit_completed_and_queued(std::map<std::string, std::string> sections) {
        sections["local"] += "file_ttl_seconds = 1\n";
        start_gateway(std::move(sections));
        const std::string completed = submit_job(leaf_form(image_a_));
        submit_job(leaf_form(image_b_));
        report_completed(gateway(), completed);
        EXPECT_TRUE(eventually([&] { return job_status(completed) == "completed"; }, 10s));
        std::this_thread::sleep_for(1500ms);
    }

    Poco::JSON::Object::Ptr storage_stats() {
        HttpAnswer answer = get(kStatsPath);
        EXPECT_EQ(answer.status, 200) << answer.body;
        auto backends = parse_object(answer.body)->getArray("backends");
        EXPECT_EQ(backends->size(), 1u) << answer.body;
        return backends->getObject(0);
    }

    const std::string image_a_ = make_png(20, 20, 1);
    const std::string image_b_ = make_png(24, 24, 2);
};

TEST_F(FileLifecycleTest, CleanupRemovesExpiredFilesOfFinishedJobsAndKeepsReferencedOnes) {
    submit_completed_and_queued({{"janitor", "interval_seconds = 3600\n"}});
    const auto both = static_cast<double>(image_a_.size() + image_b_.size());
    auto stats = storage_stats();
    EXPECT_EQ(stats->getValue<std::string>("name"), "local");
    EXPECT_EQ(stats->getValue<int>("files"), 2);
    EXPECT_EQ(stats->getValue<double>("bytes"), both);
    EXPECT_FALSE(stats->getValue<std::string>("oldest").empty());
    EXPECT_EQ(stats->getValue<int>("expired_files"), 2);
    EXPECT_EQ(stats->getValue<double>("expired_bytes"), both);
    EXPECT_GT(stats->getValue<double>("free_bytes"), 0.0);

    HttpAnswer cleanup = http_request(gateway().port(), "POST", kCleanupPath);
    ASSERT_EQ(cleanup.status, 200) << cleanup.body;
    auto report = parse_object(cleanup.body);
    EXPECT_EQ(report->getValue<int>("removed_files"), 1) << cleanup.body;
    EXPECT_EQ(report->getValue<std::size_t>("freed_bytes"), image_a_.size()) << cleanup.body;
    EXPECT_EQ(report->getValue<int>("kept_files"), 1) << cleanup.body;

    EXPECT_FALSE(std::filesystem::exists(blob_path(gateway(), image_a_)));
    EXPECT_TRUE(std::filesystem::exists(blob_path(gateway(), image_b_)));
    EXPECT_EQ(gateway().stored_files(), 1u);
    stats = storage_stats();
    EXPECT_EQ(stats->getValue<int>("files"), 1);
    EXPECT_EQ(stats->getValue<double>("expired_bytes"), double(image_b_.size()));
}

TEST_F(FileLifecycleTest, TheJanitorRemovesExpiredUnreferencedFilesOnItsOwn) {
    submit_completed_and_queued({{"janitor", "interval_seconds = 1\n"}});
    EXPECT_TRUE(
        eventually([&] { return !std::filesystem::exists(blob_path(gateway(), image_a_)); }, 5s));
    std::this_thread::sleep_for(1500ms);  // more passes of the janitor
    EXPECT_TRUE(std::filesystem::exists(blob_path(gateway(), image_b_)))
        << "the image of a queued job was removed";
    EXPECT_EQ(gateway().stored_files(), 1u);
}

TEST_F(FileLifecycleTest, FreeSpaceBelowTheFloorAnswers507AndStoresNothing) {
    start_gateway({{"local", "min_free_bytes = 1000000000000000\n"}});
    const Footprint before = footprint_of(gateway());
    expect_error(submit(gateway(), leaf_form(make_png(16, 16, 3))), 507, "insufficient_storage");
    EXPECT_EQ(footprint_of(gateway()), before);
    EXPECT_EQ(gateway().stored_files(), 0u) << "not even a temporary file";
}

}  // namespace
}  // namespace visiongw::testing
