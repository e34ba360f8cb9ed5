// The worker library end to end against the real broker, publishing and watching like the
// gateway.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "broker_fixture.h"
#include "builtin_analyzer.h"
#include "http_analyzer.h"
#include "test_images.h"
#include "vision_service.h"
#include "visiongw/worker/worker.h"
#include "worker_process.h"

namespace visiongw::worker::testing {
namespace {

using namespace std::chrono_literals;
using visiongw::testing::ServiceReply;
using visiongw::testing::VisionService;

class WorkerTest : public BrokerFixture {
protected:
    void SetUp() override {
        BrokerFixture::SetUp();
        options_.storage_root = dir_.path();
    }

    void TearDown() override {
        stop_worker();
        BrokerFixture::TearDown();
    }

    void start_worker(Analyzer analyzer) {
        worker_ = std::make_unique<Worker>(options_, std::move(analyzer));
        runner_ = std::thread([this] { worker_->run(); });
    }

    void stop_worker() {
        if (!worker_)
            return;
        worker_->stop();
        runner_.join();
        worker_.reset();
    }

    // An analyzer that only records which jobs it was called for.
    Analyzer recording_analyzer() {
        return [this](AnalysisContext& context) {
            std::lock_guard lock(mutex_);
            analysed_.push_back(context.job().job_id);
            Poco::JSON::Object::Ptr result = new Poco::JSON::Object;
            result->set("ok", true);
            return result;
        };
    }

    std::vector<std::string> analysed() {
        std::lock_guard lock(mutex_);
        return analysed_;
    }

    std::string leaf_png() {
        std::string path = dir_.file("leaf.png");
        write_png(path, 64, 300, kLeafGreen, kLesionBrown, 0.2);
        return path;
    }

    ScratchDir dir_;
    std::unique_ptr<Worker> worker_;
    std::thread runner_;
    std::mutex mutex_;
    std::vector<std::string> analysed_;
};

std::vector<std::string> names_of(const std::vector<ObservedEvent>& events) {
    std::vector<std::string> names;
    for (const auto& event : events)
        names.push_back(event.name());
    return names;
}

TEST_F(WorkerTest, RunsAJobAndReportsStartedProgressAndCompletedInOrder) {
    options_.progress_interval = 0ms;  // every report
    publish_job("job-ok", job_message("job-ok", leaf_png()));
    start_worker(reference::analyse_colours);

    auto events = events_until_final("job-ok", 15s);

    ASSERT_GE(events.size(), 3u);
    EXPECT_EQ(events.front().name(), "started");
    EXPECT_EQ(events.back().name(), "completed");
    int last_progress = -1;
    for (std::size_t i = 1; i + 1 < events.size(); ++i) {
        ASSERT_EQ(events[i].name(), "progress");
        int progress = events[i].body->getValue<int>("progress");
        EXPECT_GT(progress, last_progress);
        EXPECT_LE(progress, 100);
        last_progress = progress;
    }
    for (const auto& event : events) {
        EXPECT_EQ(event.body->getValue<int>("schema_version"), 1);
        EXPECT_EQ(event.body->getValue<std::string>("worker_id"), "test-worker");
        EXPECT_FALSE(event.body->getValue<std::string>("timestamp").empty());
        EXPECT_EQ(event.request_id, "req-job-ok");
    }
    Poco::JSON::Object::Ptr result = events.back().body->getObject("result");
    ASSERT_FALSE(result.isNull());
    EXPECT_EQ(result->getValue<std::string>("analyzer"), "builtin-demo");
    EXPECT_EQ(result->getValue<std::uint64_t>("pixels_analyzed"), 64u * 300u);
    EXPECT_NEAR(result->getValue<double>("lesion_score"), 0.2, 0.01);
    // Named threads, so that top -H, perf and gdb tell them apart.
    std::multiset<std::string> threads;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream comm(task.path() / "comm");
        std::string name;
        std::getline(comm, name);
        threads.insert(name);
    }
    EXPECT_EQ(threads.count("vgw-broker"), 1u);
    EXPECT_EQ(threads.count("vgw-job"), static_cast<std::size_t>(options_.concurrency));
    stop_worker();
    EXPECT_TRUE(job_queue_drained(500ms)) << "the job was not acknowledged";
}

// The worker continues the trace of the job message's traceparent with a span of its own: every
// event and every log line of the job carries that trace and span, and the tracestate goes on.
TEST_F(WorkerTest, ContinuesTheTraceOfItsJobInEveryEventAndLogLine) {
    const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    const std::string gateway_span = "00f067aa0ba902b7";
    std::mutex log_mutex;
    std::vector<LogRecord> job_lines;
    options_.log = [&](const LogRecord& record) {
        std::lock_guard lock(log_mutex);
        if (record.job_id == "job-traced")
            job_lines.push_back(record);
    };
    std::string seen_traceparent;
    std::string seen_tracestate;
    publish_job("job-traced", job_message("job-traced", leaf_png()),
                {{"traceparent", "00-" + trace_id + "-" + gateway_span + "-01"},
                 {"tracestate", "congo=t61rcWkgMzE"}});
    start_worker([&](AnalysisContext& context) {
        seen_traceparent = context.job().traceparent;
        seen_tracestate = context.job().tracestate;
        return reference::analyse_colours(context);
    });

    auto events = events_until_final("job-traced", 15s);
    stop_worker();

    ASSERT_GE(events.size(), 2u);
    EXPECT_EQ(events.back().name(), "completed");
    const std::string worker_span = events.front().traceparent.substr(36, 16);
    EXPECT_NE(worker_span, gateway_span);
    EXPECT_EQ(seen_traceparent, "00-" + trace_id + "-" + worker_span + "-01");
    EXPECT_EQ(seen_tracestate, "congo=t61rcWkgMzE");
    for (const auto& event : events)
        EXPECT_EQ(event.traceparent, seen_traceparent) << event.name();
    std::lock_guard lock(log_mutex);
    ASSERT_FALSE(job_lines.empty());
    for (const auto& line : job_lines) {
        EXPECT_EQ(line.trace_id, trace_id) << line.message;
        EXPECT_EQ(line.span_id, worker_span) << line.message;
    }
}

// A job message without a traceparent, or with an invalid one, starts a trace of its own; the
// invalid value is never passed on.
TEST_F(WorkerTest, StartsATraceForAJobWithoutAValidTraceparent) {
    const std::string invalid = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";
    publish_job("job-untraced", job_message("job-untraced", leaf_png()));
    publish_job("job-bad-trace", job_message("job-bad-trace", leaf_png()),
                {{"traceparent", invalid}, {"tracestate", "congo=t61rcWkgMzE"}});
    start_worker(reference::analyse_colours);

    std::set<std::string> traces;
    for (const char* job : {"job-untraced", "job-bad-trace"}) {
        auto events = events_until_final(job, 15s);
        ASSERT_FALSE(events.empty()) << job;
        for (const auto& event : events) {
            ASSERT_EQ(event.traceparent.size(), 55u) << job;
            EXPECT_NE(event.traceparent, invalid);
            EXPECT_NE(event.traceparent.substr(3, 32), std::string(32, '0'));
            traces.insert(event.traceparent.substr(3, 32));
        }
    }
    EXPECT_EQ(traces.size(), 2u) << "each job has a trace of its own";
}

// A job thread's requests (its events, its acknowledgement) wake the broker session at once;
// they used to wait for the session's next 20 ms poll, several times a job.
TEST_F(WorkerTest, JobEventsDoNotWaitForTheSessionsPoll) {
    const std::string image = leaf_png();
    start_worker(recording_analyzer());
    std::vector<double> took_ms;
    for (int i = 0; i < 7; ++i) {
        const std::string id = "job-quick-" + std::to_string(i);
        const auto start = std::chrono::steady_clock::now();
        publish_job(id, job_message(id, image));
        auto events = events_until_final(id, 15s);
        ASSERT_FALSE(events.empty());
        EXPECT_EQ(events.back().name(), "completed");
        took_ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count());
    }
    std::sort(took_ms.begin(), took_ms.end());
    std::string all;
    for (double ms : took_ms)
        all += " " + std::to_string(ms);
    EXPECT_LT(took_ms[3], 15.0) << "ms from publish to the completed event, sorted:" << all
                                << " (44 - 65 ms each with the poll)";
}

// An analyzer that reports every percent used to send ~100 events a job, each a persistent
// message the gateway applies in turn before it reaches the job's result.
TEST_F(WorkerTest, ProgressIsSentAtMostOncePerInterval) {
    options_.progress_interval = 100ms;
    std::atomic<long> reporting_ms{0};
    start_worker([&](AnalysisContext& context) -> Poco::JSON::Object::Ptr {
        const auto start = std::chrono::steady_clock::now();
        for (int percent = 1; percent <= 100; ++percent) {
            context.progress(percent);
            std::this_thread::sleep_for(3ms);  // ~300 ms in all
        }
        reporting_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - start)
                           .count();
        return new Poco::JSON::Object;
    });
    publish_job("job-chatty", job_message("job-chatty", leaf_png()));

    auto events = events_until_final("job-chatty", 15s);

    ASSERT_GE(events.size(), 3u);
    EXPECT_EQ(events.back().name(), "completed");
    std::vector<int> sent;
    for (const auto& event : events) {
        if (event.name() == "progress")
            sent.push_back(event.body->getValue<int>("progress"));
    }
    EXPECT_TRUE(std::is_sorted(sent.begin(), sent.end()));
    // About one per full 100 ms since `started` (100 without the limit); the reports went on
    // for ~300 ms, so some were sent.
    EXPECT_GE(sent.size(), 2u);
    EXPECT_LE(sent.size(), 1u + static_cast<std::size_t>(reporting_ms / 100))
        << "progress events over " << reporting_ms << " ms of reports";
}

// A report within the interval is held, not dropped: an analyzer that reports and then works
// silently for minutes shows its last percent a moment later, not only its result.
TEST_F(WorkerTest, ProgressWithinTheIntervalIsSentWhenTheIntervalIsOver) {
    options_.progress_interval = 200ms;
    std::atomic<bool> finish{false};
    start_worker([&](AnalysisContext& context) -> Poco::JSON::Object::Ptr {
        context.progress(10);
        context.progress(50);  // replaces the held 10
        for (auto waited = 0ms; !finish && waited < 10s; waited += 5ms)
            std::this_thread::sleep_for(5ms);
        return new Poco::JSON::Object;
    });
    publish_job("job-quiet", job_message("job-quiet", leaf_png()));

    auto while_working = events_until("job-quiet", "progress", 5s);
    finish = true;
    auto events = events_until_final("job-quiet", 15s);

    ASSERT_EQ(names_of(while_working), (std::vector<std::string>{"started", "progress"}));
    EXPECT_EQ(while_working.back().body->getValue<int>("progress"), 50);
    EXPECT_EQ(names_of(events), (std::vector<std::string>{"started", "progress", "completed"}));
}

TEST_F(WorkerTest, HeldProgressGivesWayToTheFinalEventAndToACancellation) {
    options_.progress_interval = 1000ms;
    std::atomic<bool> running{false};
    start_worker([&](AnalysisContext& context) -> Poco::JSON::Object::Ptr {
        context.progress(40);  // held for a second
        if (context.job().job_id == "job-done-soon")
            return new Poco::JSON::Object;
        running = true;
        while (!context.cancelled())
            std::this_thread::sleep_for(5ms);
        throw AnalysisError("stopped", "cancelled", false);
    });
    publish_job("job-done-soon", job_message("job-done-soon", leaf_png()));
    ASSERT_FALSE(events_until_final("job-done-soon", 15s).empty());
    publish_job("job-cancelled-soon", job_message("job-cancelled-soon", leaf_png()));
    for (auto waited = 0ms; !running && waited < 10s; waited += 5ms)
        std::this_thread::sleep_for(5ms);
    ASSERT_TRUE(running);
    publish_cancel("job-cancelled-soon");

    // Both held reports were due within this window.
    EXPECT_EQ(names_of(events_within("job-done-soon", 1500ms)),
              (std::vector<std::string>{"started", "completed"}));
    EXPECT_EQ(names_of(events_within("job-cancelled-soon", 0ms)),
              (std::vector<std::string>{"started"}));
}

TEST_F(WorkerTest, JobCancelledBeforeTheWorkerStartsIsNeverAnalysed) {
    const std::string image = leaf_png();
    publish_cancel("job-cancelled");
    publish_job("job-cancelled", job_message("job-cancelled", image));
    publish_job("job-after", job_message("job-after", image));
    start_worker(recording_analyzer());

    auto after = events_until_final("job-after", 15s);

    ASSERT_FALSE(after.empty());
    EXPECT_EQ(after.back().name(), "completed");
    EXPECT_EQ(analysed(), std::vector<std::string>{"job-after"});
    EXPECT_TRUE(events_within("job-cancelled", 200ms).empty());
    stop_worker();
    EXPECT_TRUE(job_queue_drained(500ms)) << "the cancelled job was not acknowledged";
}

TEST_F(WorkerTest, RunningJobSeesItsCancellationWithinASecondAndReportsNothingFinal) {
    options_.progress_interval = 0ms;
    std::atomic<bool> running{false};
    std::atomic<bool> stopped{false};
    start_worker([&](AnalysisContext& context) -> Poco::JSON::Object::Ptr {
        context.progress(10);
        running = true;
        while (!context.cancelled())
            std::this_thread::sleep_for(10ms);
        stopped = true;
        throw AnalysisError("stopped", "cancelled", false);
    });
    publish_job("job-running", job_message("job-running", leaf_png()));
    for (auto waited = 0ms; !running && waited < 10s; waited += 10ms)
        std::this_thread::sleep_for(10ms);
    ASSERT_TRUE(running);

    const auto cancelled_at = std::chrono::steady_clock::now();
    publish_cancel("job-running");
    while (!stopped && std::chrono::steady_clock::now() - cancelled_at < 5s) {
        std::this_thread::sleep_for(5ms);
    }

    EXPECT_TRUE(stopped);
    EXPECT_LT(std::chrono::steady_clock::now() - cancelled_at, 1s);
    EXPECT_EQ(names_of(events_within("job-running", 1s)),
              (std::vector<std::string>{"started", "progress"}));
    stop_worker();
    EXPECT_TRUE(job_queue_drained(500ms)) << "the cancelled job was not acknowledged";
}

TEST_F(WorkerTest, UnusableMessageIsDeadLettered) {
    start_worker(recording_analyzer());
    publish_job("job-garbage", "this is not JSON");
    publish_job("job-old-schema", R"({"schema_version": 99, "job_id": "job-old-schema"})");

    auto first = next_dead_letter(10s);
    auto second = next_dead_letter(5s);

    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->body, "this is not JSON");
    EXPECT_EQ(first->properties.message_id, "job-garbage");
    EXPECT_EQ(first->properties.headers["x-first-death-reason"], "rejected");
    EXPECT_EQ(second->properties.message_id, "job-old-schema");
    EXPECT_TRUE(analysed().empty());
}

TEST_F(WorkerTest, ImageWithAnotherHashFailsAsFileMismatchWithoutAnalysis) {
    start_worker(recording_analyzer());
    publish_job("job-mismatch",
                job_message("job-mismatch", leaf_png(), "pest", std::string(64, 'a')));

    auto events = events_until_final("job-mismatch", 10s);

    EXPECT_EQ(names_of(events), (std::vector<std::string>{"started", "failed"}));
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back().body->getObject("error")->getValue<std::string>("code"),
              "file_mismatch");
    EXPECT_TRUE(analysed().empty());
}

// A job message is input from whoever can publish to the queue: its file_path may name any
// file. The worker reads only regular files below its storage root, and its error about any
// other file tells nothing of that file (not its size, not its hash).
TEST_F(WorkerTest, JobNamingAFileOutsideTheStorageRootFailsAsFileForbiddenWithoutReadingIt) {
    const std::string root = dir_.file("files");
    std::filesystem::create_directories(root + "/ab");
    options_.storage_root = root;
    const std::string outside = leaf_png();  // beside the root, not in it
    std::filesystem::create_symlink(outside, root + "/ab/link.png");
    std::filesystem::create_directory_symlink(dir_.path(), root + "/out");
    const std::string hash = sha256_of_file(outside);
    const std::string size = std::to_string(size_of_file(outside));
    start_worker(recording_analyzer());
    const std::map<std::string, std::string> paths{
        {"job-absolute", outside},
        {"job-dotdot", root + "/../leaf.png"},
        {"job-symlink", root + "/ab/link.png"},
        {"job-symlinked-folder", root + "/out/leaf.png"},
        {"job-wrong-hash", outside},
    };
    for (const auto& [job_id, path] : paths) {
        std::optional<std::string> declared;
        if (job_id == "job-wrong-hash")
            declared = std::string(64, 'a');
        publish_job(job_id, job_message(job_id, path, "pest", declared));
    }

    for (const auto& [job_id, path] : paths) {
        auto events = events_until_final(job_id, 10s);
        EXPECT_EQ(names_of(events), (std::vector<std::string>{"started", "failed"})) << job_id;
        if (events.empty())
            continue;
        Poco::JSON::Object::Ptr error = events.back().body->getObject("error");
        ASSERT_FALSE(error.isNull()) << job_id;
        const auto message = error->getValue<std::string>("message");
        EXPECT_EQ(error->getValue<std::string>("code"), "file_forbidden")
            << job_id << ": " << message;
        EXPECT_EQ(message.find(hash), std::string::npos) << job_id << ": " << message;
        EXPECT_EQ(message.find(" " + size + " "), std::string::npos) << job_id << ": " << message;
    }
    EXPECT_TRUE(analysed().empty());
}

TEST_F(WorkerTest, AttemptOverMaxAnalysisSecondsFailsAsTimeout) {
    options_.max_analysis = 1s;
    options_.max_retries = 0;
    start_worker([](AnalysisContext& context) -> Poco::JSON::Object::Ptr {
        while (!context.cancelled())
            std::this_thread::sleep_for(10ms);
        return new Poco::JSON::Object;
    });
    publish_job("job-slow", job_message("job-slow", leaf_png()));

    auto events = events_until_final("job-slow", 10s);

    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back().name(), "failed");
    EXPECT_EQ(events.back().body->getObject("error")->getValue<std::string>("code"), "timeout");
}

TEST_F(WorkerTest, RetryableHttpFailureIsRetriedUpToMaxRetriesThenFailsWithTheReason) {
    VisionService vision([](int) { return ServiceReply{503, R"({"busy": true})"}; });
    start_worker(reference::HttpAnalyzer({vision.url(), "", 2000ms}));
    publish_job("job-503", job_message("job-503", leaf_png()));

    auto events = events_until_final("job-503", 15s);

    EXPECT_EQ(names_of(events), (std::vector<std::string>{"started", "failed"}));
    ASSERT_FALSE(events.empty());
    Poco::JSON::Object::Ptr error = events.back().body->getObject("error");
    EXPECT_EQ(error->getValue<std::string>("code"), "vision_service_error");
    EXPECT_NE(error->getValue<std::string>("message").find("503"), std::string::npos);
    EXPECT_EQ(vision.bodies().size(), 3u);  // the first attempt and max_retries = 2
}

TEST_F(WorkerTest, ReconnectsAfterTheBrokerWasAway) {
    const std::string image = leaf_png();
    start_worker(recording_analyzer());
    publish_job("job-before", job_message("job-before", image));
    ASSERT_EQ(events_until_final("job-before", 10s).back().name(), "completed");

    restart_broker();
    publish_job("job-after", job_message("job-after", image));

    auto events = events_until_final("job-after", 30s);
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back().name(), "completed");
}

using visiongw::testing::WorkerProcess;

TEST_F(WorkerTest, JobOfAKilledWorkerProcessIsRedeliveredAndCompletedOnce) {
    VisionService vision([](int) {
        return ServiceReply{.status = 200, .body = R"({"labels": ["leaf"]})", .delay = 1500ms};
    });
    const Topology& topology = options_.topology;
    const std::string config = dir_.file("visiongw.ini");
    std::ofstream(config) << "[rabbitmq]\nurl = " << options_.amqp_url
                          << "\nexchange = " << topology.exchange << "\nqueue = " << topology.queue
                          << "\nevents_exchange = " << topology.events_exchange
                          << "\nevents_queue = " << topology.events_queue
                          << "\ncancel_exchange = " << topology.cancel_exchange
                          << "\ncancel_stream = " << topology.cancel_stream
                          << "\n[worker]\nstorage_root = " << dir_.path()
                          << "\nanalyzer = http\nvision_service_url = " << vision.url() << "\n";
    const std::string log = dir_.file("worker.log");
    publish_job("job-killed", job_message("job-killed", leaf_png()));

    auto first = std::make_unique<WorkerProcess>(config, log);
    ASSERT_EQ(names_of(events_until("job-killed", "started", 10s)),
              std::vector<std::string>{"started"});
    std::this_thread::sleep_for(200ms);  // the vision service is answering now
    int killed = first->stop(SIGKILL);
    EXPECT_TRUE(WIFSIGNALED(killed));

    WorkerProcess second(config, log);
    events_until_final("job-killed", 15s);
    auto names = names_of(events_within("job-killed", 500ms));

    EXPECT_EQ(std::count(names.begin(), names.end(), "completed"), 1) << std::ifstream(log).rdbuf();
    EXPECT_EQ(std::count(names.begin(), names.end(), "started"), 2);
    EXPECT_EQ(vision.bodies().size(), 2u);
    int status = second.stop(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

}  // namespace
}  // namespace visiongw::worker::testing
