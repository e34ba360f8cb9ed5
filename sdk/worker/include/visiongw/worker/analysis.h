// What an analyzer sees of a job and how it reports back: the worker library's contract with
// the analysis code of a worker program.
#pragma once

#include <Poco/JSON/Object.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>

namespace visiongw::worker {

// A job message of sdk/PROTOCOL.md, already validated: every field is present.
struct Job {
    std::string job_id;
    std::string request_id;  // the message's x-request-id header, may be empty
    // This worker's span of the job's W3C trace: the trace of the message's `traceparent`
    // header (a new trace when it has none or an invalid one) and a span id of its own; every
    // log line and event of the job carries them. An analyzer calling a service sends
    // `traceparent` (and `tracestate` when not empty) so the trace goes on.
    std::string trace_id;
    std::string span_id;
    std::string traceparent;
    std::string tracestate;
    std::string analysis_type;
    std::string file_path;  // a path below the storage root, or s3://<bucket>/<key>
    std::string file_url;   // where the image is fetched from when set (object storage)
    std::string file_hash;  // lowercase hex SHA-256
    std::uint64_t size_bytes = 0;
    Poco::JSON::Object::Ptr metadata;    // never null
    Poco::JSON::Object::Ptr parameters;  // never null
};

// A failure the analyzer can name; thrown out of the analyzer. `code` becomes the `failed`
// event's error code; a retryable failure is retried up to `max_retries` times.
class AnalysisError : public std::runtime_error {
public:
    AnalysisError(std::string code, const std::string& message, bool retryable)
        : std::runtime_error(message), code_(std::move(code)), retryable_(retryable) {}

    const std::string& code() const { return code_; }
    bool retryable() const { return retryable_; }

private:
    std::string code_;
    bool retryable_;
};

// What one analysis attempt may ask and tell. Lent to the analyzer for the duration of its
// call only; use it from the analyzer's thread.
class AnalysisContext {
public:
    virtual ~AnalysisContext() = default;

    virtual const Job& job() const = 0;
    // The job's image, opened, verified against its SHA-256 and size, positioned at its start.
    virtual std::FILE* image() = 0;
    // Reports progress 0–100 (clamped; only increases are sent, at most one per
    // WorkerOptions::progress_interval: one that comes sooner goes out when the interval is
    // over, unless a newer one or the job's end replaces it). Never blocks on the broker.
    virtual void progress(int percent) = 0;
    // True once the job was cancelled, this attempt ran past max_analysis_seconds, or the
    // worker is stopping. Poll it (the library makes it true within a second of a cancel
    // broadcast) and return or throw soon: whatever the analyzer gives then is discarded.
    virtual bool cancelled() const = 0;
    // When this attempt runs out of time; an analyzer waiting on something can bound its wait.
    virtual std::chrono::steady_clock::time_point deadline() const = 0;

    const Poco::JSON::Object& parameters() const { return *job().parameters; }
    const Poco::JSON::Object& metadata() const { return *job().metadata; }
};

// Analyses one image: returns the JSON object of the `completed` event or throws
// AnalysisError. Any other exception fails the job with code `analyzer_error`, not retried.
// Called from up to `concurrency` threads at once.
using Analyzer = std::function<Poco::JSON::Object::Ptr(AnalysisContext&)>;

}  // namespace visiongw::worker
