// The job use cases: submit (file → record → confirmed message → 202), read, cancel, and the
// folding of worker events into records. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/blob_locks.h"
#include "jobs/job_changes.h"
#include "jobs/job_error.h"
#include "jobs/submit_step.h"
#include "jobs/upload.h"
#include "ops/identity.h"
#include "visiongw/protocol/trace_context.h"
#include "visiongw/sdk/analysis.h"
#include "visiongw/sdk/job_store.h"
#include "visiongw/sdk/queue.h"
#include "visiongw/sdk/storage.h"
#include "webhooks/callback_policy.h"

namespace visiongw::core {

// The plugins a JobService works with; they outlive it.
struct JobPlugins {
    sdk::StorageBackend& storage;
    sdk::QueueTransport& queue;
    sdk::JobStore& job_store;
    std::map<std::string, std::shared_ptr<sdk::AnalysisValidator>> validators;
};

// The steps of a submit's rollback that can fail, as JobObserver::rollback_failed names them.
struct RollbackStep {
    // The record could not be erased; it is marked failed instead.
    static constexpr std::string_view erase_record = "erase_record";
    // The Idempotency-Key could not be freed; it frees itself once its pending time is over.
    static constexpr std::string_view release_idempotency_key = "release_idempotency_key";
    // The record could be neither erased nor marked failed: it stays queued (never published)
    // until its TTL, and its image is kept for it.
    static constexpr std::string_view mark_record_failed = "mark_record_failed";
    // The image could not be removed; no unfinished job uses it, so the janitor removes it once
    // it expires.
    static constexpr std::string_view remove_image = "remove_image";
};

// The request a submit comes from: its id and this gateway's span of its trace, written into the
// record and the job message, and its Idempotency-Key (empty: none; else already checked to be
// 1–255 visible ASCII characters).
struct RequestOrigin {
    std::string request_id;
    protocol::TraceContext trace;
    std::string idempotency_key;
};

// What a submit answered: the job, and whether it is the job an earlier submit with the same
// Idempotency-Key made (nothing new was stored, recorded or published).
struct Submitted {
    sdk::JobRecord job;
    bool replayed = false;
};

// What the service reports as it works (logs and metrics); every member may be empty.
struct JobObserver {
    std::function<void(const std::string& job_id, sdk::JobStatus status)> status_changed;
    std::function<void(double seconds, bool ok)> published;
    std::function<void(const std::string& message, const std::string& job_id)> warning;
    // `record` is the submit's, as it was to be created.
    std::function<void(std::string_view step, const std::string& error,
                       const sdk::JobRecord& record)>
        rollback_failed;
};

class JobService : public sdk::WorkerEventSink {
public:
    // An Idempotency-Key is kept for `idempotency_ttl` after its submit was answered; a
    // submit's callback_url must pass `callbacks`, which outlives the service.
    JobService(JobPlugins plugins, std::chrono::milliseconds publish_timeout, bool hide_dedup,
               std::chrono::seconds idempotency_ttl, const CallbackPolicy& callbacks,
               JobObserver observer);

    // Takes a received upload through validation, commit, record and publish, marking each
    // SubmitStep on `clock` as it is done (publish also when the queue gave up). Returns the
    // queued record.
    // Throws JobError or the storage's sdk::Error (sdk::StorageFull, sdk::Unavailable); leaves
    // nothing behind when it throws, as far as the plugins let it. When the record or the
    // message fails, whatever the plugin threw, it rolls back and throws JobError unavailable:
    // the record is erased (or, when it cannot be, marked failed) and the image removed unless
    // another job shares it or a record that could not be changed still names it, so no queued
    // record is ever left without its image; each rollback step that fails is reported to
    // JobObserver::rollback_failed.
    // With an Idempotency-Key (per tenant): a key already used for the same request (image,
    // analysis type, parameters) returns that job, replayed, without committing the image,
    // writing or publishing anything; one used for another request throws JobError conflict
    // `idempotency_key_reused`; one whose submit is still in flight throws JobError in_progress
    // `idempotency_key_in_progress`. The key is written with the record, in one step, and
    // freed by a rollback.
    // A `callback_url` field (non-empty) is checked by the CallbackPolicy before the image is
    // committed: a refused one throws JobError invalid `invalid_callback_url`, a DNS that does
    // not answer JobError unavailable; an accepted one is kept in the record (its webhook
    // pending) and is part of the request an Idempotency-Key stands for.
    Submitted submit(ReceivedUpload upload, const Identity& who, const RequestOrigin& origin,
                     StepClock& clock);
    // The record; throws JobError invalid (a bad id), not_found (also for another tenant's
    // job) or unavailable.
    sdk::JobRecord get(const std::string& id, const Identity& who);
    // Cancels per the API; returns the record after the call. Throws JobError not_found,
    // conflict (a finished job) or unavailable.
    sdk::JobRecord cancel(const std::string& id, const Identity& who,
                          const std::string& request_id);
    // The caller's jobs per `query`, whose tenant is set to the caller's. Throws JobError
    // invalid (invalid_cursor: a position the store did not hand out), unsupported (the job
    // store plugin cannot list) or unavailable.
    sdk::JobPage list(sdk::JobQuery query, const Identity& who);
    void on_worker_event(std::string_view json) override;

    // Removes `key` when no unfinished job references it; false when it stays. With
    // `stored_at`, also keeps a blob that an upload reused since it was listed at that time.
    bool release_blob(const std::string& key,
                      std::optional<std::chrono::system_clock::time_point> stored_at = {});
    std::vector<std::string> analysis_types() const;
    JobChanges& changes() { return changes_; }

private:
    sdk::AnalysisValidator& validator_for(const ReceivedUpload& upload) const;
    // Undoes a submit whose record or message failed for `reason` (see submit), freeing its
    // Idempotency-Key when it has one. Never throws.
    void roll_back(const sdk::JobRecord& record, const sdk::StoredBlob& blob, bool record_written,
                   const sdk::IdempotencyKey* key, const std::string& reason);
    // The answer to a submit whose Idempotency-Key is taken (see submit).
    Submitted replay(const sdk::IdempotencyEntry& entry, const sdk::IdempotencyKey& key);
    void report_status(const std::string& id, sdk::JobStatus status);

    JobPlugins plugins_;
    std::chrono::milliseconds publish_timeout_;
    bool hide_dedup_;
    std::chrono::seconds idempotency_ttl_;
    const CallbackPolicy& callbacks_;
    JobObserver observer_;
    BlobLocks blob_locks_;
    JobChanges changes_;
};

}  // namespace visiongw::core
