// The job use cases: submit (file → record → confirmed message → 202), read, cancel, and the
// folding of worker events into records. Thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>

#include "http/exchange.h"
#include "jobs/upload.h"
#include "visiongw/sdk/analysis.h"
#include "visiongw/sdk/job_store.h"
#include "visiongw/sdk/queue.h"
#include "visiongw/sdk/storage.h"

namespace visiongw::core {

// The plugins a JobService works with; they outlive it.
struct JobPlugins {
    sdk::StorageBackend& storage;
    sdk::QueueTransport& queue;
    sdk::JobStore& jobs;
    std::map<std::string, std::shared_ptr<sdk::AnalysisValidator>> validators;
};

// What the service reports as it works (logs and metrics); every member may be empty.
struct JobObserver {
    std::function<void(const std::string& job_id, sdk::JobStatus status)> status_changed;
    std::function<void(double seconds, bool ok)> published;
    std::function<void(const std::string& message, const std::string& job_id)> warning;
};

// Serialises the steps that create or remove a blob by content address, so a rollback, a
// cancel or the janitor never removes a blob another request is about to reference. Only
// steps on the same content address wait for each other: a submit holds its address until
// the broker confirmed its message, and with shared stripes unrelated submits queued behind
// that wait (the slowest 2% of submits under load spent 12 ms there).
class BlobLocks {
public:
    // Holds one content address until unlock() or destruction.
    class Guard {
    public:
        Guard(BlobLocks& locks, std::string key);
        Guard(const Guard&) = delete;
        Guard& operator=(const Guard&) = delete;
        ~Guard() { unlock(); }
        void unlock();

    private:
        BlobLocks* locks_;  // null once unlocked
        std::string key_;
    };

    Guard lock(std::string key) { return Guard(*this, std::move(key)); }

private:
    std::mutex mutex_;
    std::condition_variable released_;
    std::unordered_set<std::string> held_;
};

// Wakes the event streams of a job when this process changes it. Only watched jobs are
// tracked, and a change wakes only its own job's streams (not every open stream, each of which
// would then read its job from the store).
class JobChanges {
public:
    // One stream's subscription to one job's changes, from its construction to its end.
    class Watch {
    public:
        Watch(JobChanges& changes, std::string job_id);
        ~Watch();
        Watch(const Watch&) = delete;
        Watch& operator=(const Watch&) = delete;

        // Waits until the job changed since the previous wait (or since the watch began) or
        // `timeout` passed; true when it changed.
        bool wait(std::chrono::milliseconds timeout);

    private:
        JobChanges& changes_;
        std::string job_id_;
        std::uint64_t seen_;
    };

    void notify(const std::string& job_id);

private:
    struct Watched {
        std::uint64_t version = 0;
        int watches = 0;
        std::condition_variable changed;
    };

    std::mutex mutex_;
    std::map<std::string, Watched> watched_;
};

class JobService : public sdk::WorkerEventSink {
public:
    JobService(JobPlugins plugins, std::chrono::milliseconds publish_timeout, bool hide_dedup,
               JobObserver observer);

    // Takes a received upload through validation, commit, record and publish, marking each
    // SubmitStep on `clock` as it is done (publish also when the queue gave up). Returns the
    // queued record.
    // Throws HttpError or sdk::Unavailable; leaves nothing behind when it throws.
    sdk::JobRecord submit(ReceivedUpload upload, const Identity& who, const std::string& request_id,
                          StepClock& clock);
    // The record, or HttpError 400/404 (another tenant's job is 404 too).
    sdk::JobRecord get(const std::string& id, const Identity& who);
    // Cancels per the API; returns the record after the call. Throws HttpError 404/409.
    sdk::JobRecord cancel(const std::string& id, const Identity& who,
                          const std::string& request_id);
    void on_worker_event(std::string_view json) override;

    // Removes `key` when no unfinished job references it; false when it stays. With
    // `stored_at`, also keeps a blob that an upload reused since it was listed at that time.
    bool release_blob(const std::string& key,
                      std::optional<std::chrono::system_clock::time_point> stored_at = {});
    std::vector<std::string> analysis_types() const;
    JobChanges& changes() { return changes_; }

private:
    sdk::AnalysisValidator& validator_for(const ReceivedUpload& upload) const;
    void report_status(const std::string& id, sdk::JobStatus status);

    JobPlugins plugins_;
    std::chrono::milliseconds publish_timeout_;
    bool hide_dedup_;
    JobObserver observer_;
    BlobLocks blob_locks_;
    JobChanges changes_;
};

// Throws HttpError 400 invalid_job_id unless `id` is a job id this gateway could have made.
void check_job_id(const std::string& id);
// `id` from a client in the form this gateway made it: a UUID's hex digits are read in either
// case (RFC 4122) and are lower case here. Throws as check_job_id.
std::string canonical_job_id(std::string id);

}  // namespace visiongw::core
