// The job use cases: submit (file → record → confirmed message → 202), read, cancel, and the
// folding of worker events into records. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "jobs/blob_locks.h"
#include "jobs/job_changes.h"
#include "jobs/job_error.h"
#include "jobs/submit_step.h"
#include "jobs/upload.h"
#include "ops/identity.h"
#include "visiongw/sdk/analysis.h"
#include "visiongw/sdk/job_store.h"
#include "visiongw/sdk/queue.h"
#include "visiongw/sdk/storage.h"

namespace visiongw::core {

// The plugins a JobService works with; they outlive it.
struct JobPlugins {
    sdk::StorageBackend& storage;
    sdk::QueueTransport& queue;
    sdk::JobStore& job_store;
    std::map<std::string, std::shared_ptr<sdk::AnalysisValidator>> validators;
};

// What the service reports as it works (logs and metrics); every member may be empty.
struct JobObserver {
    std::function<void(const std::string& job_id, sdk::JobStatus status)> status_changed;
    std::function<void(double seconds, bool ok)> published;
    std::function<void(const std::string& message, const std::string& job_id)> warning;
};

class JobService : public sdk::WorkerEventSink {
public:
    JobService(JobPlugins plugins, std::chrono::milliseconds publish_timeout, bool hide_dedup,
               JobObserver observer);

    // Takes a received upload through validation, commit, record and publish, marking each
    // SubmitStep on `clock` as it is done (publish also when the queue gave up). Returns the
    // queued record.
    // Throws JobError or the storage's sdk::Error (sdk::StorageFull, sdk::Unavailable); leaves
    // nothing behind when it throws.
    sdk::JobRecord submit(ReceivedUpload upload, const Identity& who, const std::string& request_id,
                          StepClock& clock);
    // The record; throws JobError invalid (a bad id), not_found (also for another tenant's
    // job) or unavailable.
    sdk::JobRecord get(const std::string& id, const Identity& who);
    // Cancels per the API; returns the record after the call. Throws JobError not_found,
    // conflict (a finished job) or unavailable.
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

}  // namespace visiongw::core
