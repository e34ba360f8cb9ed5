// An AnalysisContext without a broker, for calling analyzers directly.
#pragma once

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "test_images.h"
#include "visiongw/worker/analysis.h"

namespace visiongw::worker::testing {

// A job for the image at `path` (hash and size measured), `analysis_type` and no parameters.
inline Job job_for_file(const std::string& path, const std::string& analysis_type) {
    Job job;
    job.job_id = "job-1";
    job.analysis_type = analysis_type;
    job.file_path = path;
    job.file_hash = sha256_of_file(path);
    job.size_bytes = size_of_file(path);
    job.metadata = new Poco::JSON::Object;
    job.metadata->set("size_bytes", job.size_bytes);
    job.parameters = new Poco::JSON::Object;
    return job;
}

// Records progress; cancelled() once `cancel_after_progress` reports came in.
class FakeContext final : public AnalysisContext {
public:
    explicit FakeContext(Job job)
        : job_(std::move(job)), file_(std::fopen(job_.file_path.c_str(), "rb")) {
        if (file_ == nullptr)
            throw std::runtime_error("cannot open " + job_.file_path);
    }
    ~FakeContext() override { std::fclose(file_); }

    const Job& job() const override { return job_; }
    std::FILE* image() override { return file_; }
    void progress(int percent) override { reported.push_back(percent); }
    bool cancelled() const override {
        return cancel_after_progress >= 0 &&
               reported.size() >= static_cast<std::size_t>(cancel_after_progress);
    }
    std::chrono::steady_clock::time_point deadline() const override { return deadline_at; }

    Job& mutable_job() { return job_; }

    std::vector<int> reported;
    int cancel_after_progress = -1;
    std::chrono::steady_clock::time_point deadline_at =
        std::chrono::steady_clock::now() + std::chrono::minutes(1);

private:
    Job job_;
    std::FILE* file_;
};

}  // namespace visiongw::worker::testing
