#include "worker_config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "json_log.h"
#include "test_images.h"

namespace visiongw::worker::testing {
namespace {

using reference::load_worker_config;
using reference::WorkerConfigError;

// Sets environment variables for one test and restores their absence afterwards.
class ScopedEnvironment {
public:
    void set(const char* name, const char* value) {
        setenv(name, value, 1);
        names_.push_back(name);
    }
    ~ScopedEnvironment() {
        for (const char* name : names_)
            unsetenv(name);
    }

private:
    std::vector<const char*> names_;
};

class WorkerConfigTest : public ::testing::Test {
protected:
    std::string ini(const std::string& text) {
        std::ofstream(path_) << text;
        return path_;
    }

    std::string error_of(const std::string& text) {
        try {
            load_worker_config(ini(text));
        } catch (const WorkerConfigError& e) {
            return e.what();
        }
        return "no error";
    }

    ScratchDir dir_;
    std::string path_ = dir_.file("visiongw.ini");
};

TEST_F(WorkerConfigTest, DefaultsWithoutAWorkerSection) {
    auto config = load_worker_config(ini("[rabbitmq]\nurl = amqp://u:p@broker:5679/\n"));
    EXPECT_EQ(config.analyzer, "builtin");
    EXPECT_EQ(config.worker.amqp_url, "amqp://u:p@broker:5679/");
    EXPECT_EQ(config.worker.concurrency, 1);
    EXPECT_EQ(config.worker.max_retries, 3);
    EXPECT_EQ(config.worker.retry_backoff.count(), 500);
    EXPECT_EQ(config.worker.max_analysis.count(), 600);
    EXPECT_EQ(config.http.timeout.count(), 10000);
    EXPECT_EQ(config.worker.topology.queue, "visiongw.jobs");
    EXPECT_EQ(config.worker.topology.cancel_stream, "visiongw.cancellations");
    EXPECT_EQ(config.log_level, LogLevel::info);
    EXPECT_EQ(config.worker.storage_root, "/var/lib/visiongw/files");
}

// The worker reads images where the gateway stores them: the same file's [local] root, unless
// [worker] storage_root names another spelling; FILE_STORAGE_TEMP_DIR overrides both, as it
// overrides the gateway's root.
TEST_F(WorkerConfigTest, StorageRootIsTheGatewaysUnlessGiven) {
    EXPECT_EQ(load_worker_config(ini("[local]\nroot = /srv/leaves\n")).worker.storage_root,
              "/srv/leaves");
    const std::string both = "[local]\nroot = /srv/leaves\n[worker]\nstorage_root = /mnt/leaves\n";
    EXPECT_EQ(load_worker_config(ini(both)).worker.storage_root, "/mnt/leaves");
    ScopedEnvironment environment;
    environment.set("FILE_STORAGE_TEMP_DIR", "/env/leaves");
    EXPECT_EQ(load_worker_config(ini(both)).worker.storage_root, "/env/leaves");
}

TEST_F(WorkerConfigTest, ReadsTheGatewaysLogLevel) {
    EXPECT_EQ(load_worker_config(ini("[log]\nlevel = warning\n")).log_level, LogLevel::warning);
    EXPECT_EQ(load_worker_config(ini("[log]\nlevel = debug\n")).log_level, LogLevel::debug);
    EXPECT_EQ(error_of("[log]\nlevel = verbose\n"),
              path_ + ": [log] level: must be debug, info, warning or error, got 'verbose'");
}

TEST_F(WorkerConfigTest, JsonLineLogLeavesOutRecordsBelowItsLevel) {
    std::ostringstream out;
    auto log = reference::json_line_log(out, LogLevel::warning);
    log({LogLevel::debug, "progress not sent", "job-1", {}, {}, {}});
    log({LogLevel::info, "job started (pest)", "job-1", {}, {}, {}});
    log({LogLevel::warning, "broker connection lost", {}, {}, {}, {}});
    log({LogLevel::error, "job failed", "job-2", "req-2", "4bf92f3577b34da6a3ce929d0e0e4736",
         "00f067aa0ba902b7"});
    const std::string lines = out.str();
    EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 2) << lines;
    EXPECT_NE(lines.find(R"("level":"warning","message":"broker connection lost")"),
              std::string::npos)
        << lines;
    EXPECT_NE(lines.find(R"("message":"job failed","job_id":"job-2","request_id":"req-2")"),
              std::string::npos)
        << lines;
    EXPECT_NE(
        lines.find(R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7")"),
        std::string::npos)
        << lines;
}

TEST_F(WorkerConfigTest, ReadsBothSectionsAndIgnoresTheGatewaysRabbitmqKeys) {
    auto config = load_worker_config(
        ini("[rabbitmq]\nqueue = q1\nqueue_type = quorum\ndelivery_limit = 7\n"
            "heartbeat_seconds = 30\ncancel_retention = 2h\n"
            "[worker]\nanalyzer = http\nconcurrency = 4\nmax_retries = 0\n"
            "retry_backoff_ms = 10\nmax_analysis_seconds = 30\n"
            "vision_service_url = http://vision:8000/analyze\nhttp_timeout_ms = 2500\n"));
    EXPECT_EQ(config.worker.topology.queue, "q1");
    EXPECT_EQ(config.worker.topology.queue_type, amqp::QueueType::quorum);
    EXPECT_EQ(config.worker.topology.delivery_limit, 7);
    EXPECT_EQ(config.worker.topology.cancel_retention, "2h");
    EXPECT_EQ(config.analyzer, "http");
    EXPECT_EQ(config.worker.concurrency, 4);
    EXPECT_EQ(config.worker.max_retries, 0);
    EXPECT_EQ(config.worker.max_analysis.count(), 30);
    EXPECT_EQ(config.http.vision_service_url, "http://vision:8000/analyze");
    EXPECT_EQ(config.http.timeout.count(), 2500);
}

TEST_F(WorkerConfigTest, EnvironmentOverridesTheIni) {
    ScopedEnvironment environment;
    environment.set("RABBITMQ_URL", "amqp://env:env@envhost:5670/");
    environment.set("RABBITMQ_QUEUE_NAME", "env.queue");
    environment.set("RABBITMQ_EXCHANGE_NAME", "env.exchange");
    environment.set("RABBITMQ_ROUTING_KEY", "env.key");
    environment.set("VISION_SERVICE_URL", "http://env-vision/analyze");
    environment.set("LLM_SERVICE_URL", "http://env-llm/ask");
    auto config =
        load_worker_config(ini("[rabbitmq]\nqueue = ini.queue\n[worker]\nanalyzer = http\n"
                               "vision_service_url = http://ini/\n"));
    EXPECT_EQ(config.worker.amqp_url, "amqp://env:env@envhost:5670/");
    EXPECT_EQ(config.worker.topology.queue, "env.queue");
    EXPECT_EQ(config.worker.topology.exchange, "env.exchange");
    EXPECT_EQ(config.worker.topology.routing_key, "env.key");
    EXPECT_EQ(config.http.vision_service_url, "http://env-vision/analyze");
    EXPECT_EQ(config.http.llm_service_url, "http://env-llm/ask");
}

TEST_F(WorkerConfigTest, TheTablesDeclareTheContractsVariables) {
    std::map<std::string, std::string> declared;
    for (const auto& option : reference::worker_options()) {
        if (option.env != nullptr)
            declared[option.env] = std::string("worker.") + option.name;
    }
    for (const auto& option : reference::rabbitmq_keys()) {
        if (option.env != nullptr)
            declared[option.env] = std::string("rabbitmq.") + option.name;
    }
    EXPECT_EQ(declared, (std::map<std::string, std::string>{
                            {"VISION_SERVICE_URL", "worker.vision_service_url"},
                            {"LLM_SERVICE_URL", "worker.llm_service_url"},
                            {"FILE_STORAGE_TEMP_DIR", "worker.storage_root"},
                            {"RABBITMQ_URL", "rabbitmq.url"},
                            {"RABBITMQ_QUEUE_NAME", "rabbitmq.queue"},
                            {"RABBITMQ_EXCHANGE_NAME", "rabbitmq.exchange"},
                            {"RABBITMQ_ROUTING_KEY", "rabbitmq.routing_key"}}));
}

TEST_F(WorkerConfigTest, AnEmptyVariableLeavesTheIniValue) {
    ScopedEnvironment environment;
    environment.set("RABBITMQ_QUEUE_NAME", "");
    EXPECT_EQ(load_worker_config(ini("[rabbitmq]\nqueue = ini.queue\n")).worker.topology.queue,
              "ini.queue");
}

TEST_F(WorkerConfigTest, UnknownWorkerKeyStopsStartUpNamingFileSectionAndKey) {
    EXPECT_EQ(error_of("[worker]\nconcurency = 2\n"),
              path_ +
                  ": [worker] concurency: unknown key; the valid keys are analyzer, "
                  "concurrency, max_retries, retry_backoff_ms, max_analysis_seconds, "
                  "vision_service_url, llm_service_url, http_timeout_ms, "
                  "storage_root");
}

TEST_F(WorkerConfigTest, BadValuesStopStartUp) {
    EXPECT_EQ(error_of("[worker]\nconcurrency = 0\n"),
              path_ + ": [worker] concurrency: must be an integer between 1 and 256, got '0'");
    EXPECT_EQ(error_of("[worker]\nmax_retries = lots\n"),
              path_ + ": [worker] max_retries: must be an integer between 0 and 100, got 'lots'");
    EXPECT_EQ(error_of("[worker]\nanalyzer = magic\n"),
              path_ + ": [worker] analyzer: must be builtin or http, got 'magic'");
    EXPECT_EQ(error_of("[worker]\nanalyzer = http\n"),
              path_ + ": [worker] vision_service_url: is required with analyzer = http");
    EXPECT_EQ(
        error_of("[rabbitmq]\nqueue_type = stream\n").rfind(path_ + ": [rabbitmq] queue_type: ", 0),
        0u);
    EXPECT_EQ(error_of("[rabbitmq]\nurl = http://nope/\n").rfind(path_ + ": [rabbitmq] url: ", 0),
              0u);
    EXPECT_EQ(error_of("[rabbitmq]\ncancel_retention = 1 day\n"),
              path_ +
                  ": [rabbitmq] cancel_retention: retention must be a positive whole number and "
                  "one unit of Y, M, D, h, m or s (e.g. 1D, 12h), not \"1 day\"");
}

TEST_F(WorkerConfigTest, BadEnvironmentValueNamesTheVariable) {
    ScopedEnvironment environment;
    environment.set("VISION_SERVICE_URL", "ftp://vision/");
    EXPECT_EQ(error_of("[worker]\nanalyzer = http\n"),
              path_ +
                  ": [worker] vision_service_url (from VISION_SERVICE_URL): "
                  "vision_service_url must be an http://host[:port]/path URL");
}

TEST_F(WorkerConfigTest, MissingFileStopsStartUp) {
    EXPECT_THROW(load_worker_config(dir_.file("absent.ini")), WorkerConfigError);
}

}  // namespace
}  // namespace visiongw::worker::testing
