#include "jobs/job_service.h"

#include "jobs/job_id.h"
#include "jobs/job_json.h"
#include "jobs/job_message.h"
#include "jobs/random_uuid.h"
#include "jobs/sha256.h"
#include "jobs/worker_event.h"
#include "ops/json_text.h"

namespace visiongw::core {
namespace {

JobError job_not_found(const std::string& id) {
    return JobError(JobErrorKind::not_found, "job_not_found", "no job " + id);
}

JobError unavailable(const std::string& what) {
    return JobError(JobErrorKind::unavailable, "service_unavailable", what);
}

// What makes two submits the same request for an Idempotency-Key: the analysis type, the
// validated parameters, the image and the callback URL (when there is one, so fingerprints of
// submits without one are as before webhooks).
std::string request_fingerprint(const sdk::JobRecord& record, const std::string& image_sha256) {
    std::vector<const std::string*> parts{&record.analysis_type, &record.parameters_json,
                                          &image_sha256};
    if (!record.callback_url.empty())
        parts.push_back(&record.callback_url);
    Sha256 digest;
    for (const std::string* part : parts) {
        digest.update(part->data(), part->size());
        digest.update("\n", 1);
    }
    return digest.hex();
}

// How long an Idempotency-Key stays `pending` at most: its submit's commit and publish take
// far less, so a key outlives this only when its gateway died in between; then it frees itself.
constexpr std::chrono::seconds kPendingGrace{60};

}  // namespace

JobService::JobService(JobPlugins plugins, std::chrono::milliseconds publish_timeout,
                       bool hide_dedup, std::chrono::seconds idempotency_ttl,
                       const CallbackPolicy& callbacks, JobObserver observer)
    : plugins_(std::move(plugins)),
      publish_timeout_(publish_timeout),
      hide_dedup_(hide_dedup),
      idempotency_ttl_(idempotency_ttl),
      callbacks_(callbacks),
      observer_(std::move(observer)) {}

std::vector<std::string> JobService::analysis_types() const {
    std::vector<std::string> types;
    for (const auto& [name, validator] : plugins_.validators)
        types.push_back(name);
    return types;
}

sdk::AnalysisValidator& JobService::validator_for(const ReceivedUpload& upload) const {
    auto field = upload.fields.find("analysis_type");
    if (field == upload.fields.end() || field->second.empty()) {
        throw JobError(JobErrorKind::invalid, "missing_field", "analysis_type is required");
    }
    auto it = plugins_.validators.find(field->second);
    if (it == plugins_.validators.end()) {
        std::string known;
        for (const auto& type : analysis_types())
            known += (known.empty() ? "" : ", ") + type;
        throw JobError(JobErrorKind::invalid, "unknown_analysis_type",
                       "analysis_type '" + field->second.substr(0, 64) +
                           "' is not known; known types: " + known);
    }
    return *it->second;
}

void JobService::report_status(const std::string& id, sdk::JobStatus status) {
    if (observer_.status_changed)
        observer_.status_changed(id, status);
    changes_.notify(id);
}

Submitted JobService::submit(ReceivedUpload upload, const Identity& who,
                             const RequestOrigin& origin, StepClock& clock) {
    sdk::AnalysisValidator& validator = validator_for(upload);
    sdk::ValidatedParameters parameters = validator.validate(upload.fields);
    if (!parameters.errors.empty()) {
        const auto& first = parameters.errors.front();
        std::string message;
        for (const auto& error : parameters.errors) {
            message += (message.empty() ? "" : "; ") + error.message;
        }
        throw JobError(JobErrorKind::invalid, first.code, message);
    }

    sdk::JobRecord record;
    record.id = random_uuid();
    record.tenant = who.tenant;
    record.analysis_type = validator.analysis_type();
    record.status = sdk::JobStatus::queued;
    record.parameters_json = parameters_json(parameters.values);
    record.request_id = origin.request_id;
    record.traceparent = origin.trace.traceparent();
    record.tracestate = origin.trace.tracestate;
    record.created_at = record.updated_at = utc_now();
    if (auto callback = upload.fields.find("callback_url");
        callback != upload.fields.end() && !callback->second.empty()) {
        try {
            callbacks_.check(callback->second);
        } catch (const CallbackRefused& e) {
            throw JobError(JobErrorKind::invalid, "invalid_callback_url", e.what());
        } catch (const sdk::Unavailable& e) {
            throw unavailable(e.what());
        }
        record.callback_url = callback->second;
    }

    // A key already taken answers before the image is committed: a retry stores nothing.
    std::optional<sdk::IdempotencyKey> idempotency;
    if (!origin.idempotency_key.empty()) {
        idempotency = sdk::IdempotencyKey{who.tenant, origin.idempotency_key,
                                          request_fingerprint(record, upload.sha256)};
        std::optional<sdk::IdempotencyEntry> taken;
        try {
            taken = plugins_.job_store.find_idempotency_key(*idempotency);
        } catch (const std::exception& e) {
            throw unavailable(std::string("job store unavailable: ") + e.what());
        }
        if (taken)
            return replay(*taken, *idempotency);
    }

    const std::string key = upload.sha256 + "." + std::string(upload.image.extension());
    auto guard = blob_locks_.lock(key);
    sdk::StoredBlob blob = upload.blob->commit(upload.sha256, upload.image.extension());
    upload.blob.reset();
    clock.mark(SubmitStep::commit);
    record.file_key = blob.key;
    record.file_json = file_json(upload, blob.deduplicated && !hide_dedup_);
    // The record or the message failed: undo the submit and answer 503, whatever was thrown.
    auto give_up = [&](std::string_view dependency, const std::exception& e, bool record_written) {
        const bool unavailable_now = dynamic_cast<const sdk::Unavailable*>(&e) != nullptr;
        const std::string reason =
            std::string(dependency) + (unavailable_now ? " unavailable: " : " failed: ") + e.what();
        roll_back(record, blob, record_written, idempotency ? &*idempotency : nullptr, reason);
        return unavailable(reason);
    };

    std::optional<sdk::IdempotencyEntry> taken;
    try {
        if (idempotency) {
            taken = plugins_.job_store.create_with_idempotency_key(
                record, *idempotency,
                std::chrono::ceil<std::chrono::seconds>(publish_timeout_) + kPendingGrace);
        } else {
            plugins_.job_store.create(record);
        }
    } catch (const std::exception& e) {
        throw give_up("job store", e, false);
    }
    if (taken) {
        // Another submit with the key came first, since it was looked up.
        roll_back(record, blob, false, nullptr, "its Idempotency-Key was taken meanwhile");
        return replay(*taken, *idempotency);
    }
    clock.mark(SubmitStep::record);
    sdk::JobMessage message{
        record.id, record.request_id,
        protocol::encode_job_message(job_message_of(record, upload, blob, parameters.values)),
        record.traceparent, record.tracestate};
    auto published = [&](bool ok) {
        const double ms = clock.mark(SubmitStep::publish);
        if (observer_.published)
            observer_.published(ms / 1000, ok);
    };
    try {
        plugins_.queue.publish(message, publish_timeout_);
    } catch (const std::exception& e) {
        published(false);
        throw give_up("queue", e, true);
    }
    published(true);
    guard.unlock();
    report_status(record.id, record.status);
    if (idempotency) {
        try {
            plugins_.job_store.complete_idempotency_key(*idempotency, record.id, idempotency_ttl_);
        } catch (const std::exception& e) {
            // The job is queued; its key frees itself after its pending time instead.
            if (observer_.warning)
                observer_.warning(std::string("Idempotency-Key not completed: ") + e.what(),
                                  record.id);
        }
    }
    return {record, false};
}

Submitted JobService::replay(const sdk::IdempotencyEntry& entry, const sdk::IdempotencyKey& key) {
    if (entry.fingerprint != key.fingerprint) {
        throw JobError(JobErrorKind::conflict, "idempotency_key_reused",
                       "Idempotency-Key \"" + key.key + "\" was used for another request (job " +
                           entry.job_id +
                           ": another image, analysis type or parameters); a new request needs "
                           "a new key");
    }
    if (entry.state == sdk::IdempotencyEntry::State::pending) {
        throw JobError(JobErrorKind::in_progress, "idempotency_key_in_progress",
                       "the first request with Idempotency-Key \"" + key.key +
                           "\" is still being processed; retry after Retry-After seconds");
    }
    std::optional<sdk::JobRecord> record;
    try {
        record = plugins_.job_store.get(entry.job_id);
    } catch (const std::exception& e) {
        throw unavailable(std::string("job store unavailable: ") + e.what());
    }
    if (!record) {
        throw JobError(
            JobErrorKind::not_found, "job_not_found",
            "job " + entry.job_id + " of Idempotency-Key \"" + key.key + "\" has expired");
    }
    return {*record, true};
}

void JobService::roll_back(const sdk::JobRecord& record, const sdk::StoredBlob& blob,
                           bool record_written, const sdk::IdempotencyKey* key,
                           const std::string& reason) {
    auto failed = [&](std::string_view step, const std::exception& e) {
        if (observer_.rollback_failed)
            observer_.rollback_failed(step, e.what(), record);
    };
    if (key != nullptr && record_written) {
        try {
            plugins_.job_store.release_idempotency_key(*key, record.id);
        } catch (const std::exception& e) {
            failed(RollbackStep::release_idempotency_key, e);
        }
    }
    bool record_keeps_image = false;  // a queued record that could not be changed names it
    if (record_written) {
        try {
            plugins_.job_store.erase(record.id);
        } catch (const std::exception& e) {
            failed(RollbackStep::erase_record, e);
            // The job was never accepted, so no status change is reported for it.
            sdk::JobChange change;
            change.status = sdk::JobStatus::failed;
            change.error_json = R"({"code":"not_queued","message":)" +
                                json_quote("the submit was rolled back (" + reason +
                                           "); the job was never queued") +
                                "}";
            change.updated_at = utc_now();
            try {
                plugins_.job_store.transition(record.id, change);
            } catch (const std::exception& e) {
                failed(RollbackStep::mark_record_failed, e);
                record_keeps_image = true;
            }
        }
    }
    if (blob.deduplicated || record_keeps_image)
        return;
    try {
        plugins_.storage.remove(blob.key);
    } catch (const std::exception& e) {
        failed(RollbackStep::remove_image, e);
    }
}

sdk::JobRecord JobService::get(const std::string& id, const Identity& who) {
    check_job_id(id);
    std::optional<sdk::JobRecord> record;
    try {
        record = plugins_.job_store.get(id);
    } catch (const sdk::Unavailable& e) {
        throw unavailable(std::string("job store unavailable: ") + e.what());
    }
    if (!record || record->tenant != who.tenant)
        throw job_not_found(id);
    return *record;
}

sdk::JobPage JobService::list(sdk::JobQuery query, const Identity& who) {
    auto* lister = dynamic_cast<sdk::JobLister*>(&plugins_.job_store);
    if (lister == nullptr) {
        throw JobError(JobErrorKind::unsupported, "not_implemented",
                       "the job store plugin cannot list jobs");
    }
    query.tenant = who.tenant;
    try {
        return lister->list(query);
    } catch (const sdk::InvalidCursor& e) {
        throw JobError(JobErrorKind::invalid, "invalid_cursor",
                       std::string("cursor is not one this gateway handed out: ") + e.what());
    } catch (const sdk::Unavailable& e) {
        throw unavailable(std::string("job store unavailable: ") + e.what());
    }
}

sdk::JobRecord JobService::cancel(const std::string& id, const Identity& who,
                                  const std::string& request_id) {
    sdk::JobRecord current = get(id, who);
    sdk::JobChange change;
    change.status = sdk::JobStatus::cancelled;
    change.updated_at = utc_now();
    sdk::TransitionResult result;
    try {
        result = plugins_.job_store.transition(id, change);
    } catch (const sdk::Unavailable& e) {
        throw unavailable(std::string("job store unavailable: ") + e.what());
    }
    switch (result.outcome) {
        case sdk::TransitionOutcome::not_found:
            throw job_not_found(id);
        case sdk::TransitionOutcome::refused:
            throw JobError(JobErrorKind::conflict, "job_finished",
                           "job " + id + " already " +
                               std::string(sdk::to_string(result.record->status)) +
                               "; only queued or processing jobs can be cancelled");
        case sdk::TransitionOutcome::already:
            return *result.record;
        case sdk::TransitionOutcome::applied:
            break;
    }
    report_status(id, sdk::JobStatus::cancelled);
    try {
        plugins_.queue.broadcast_cancel(id, request_id);
    } catch (const sdk::Error& e) {
        if (observer_.warning) {
            observer_.warning(std::string("cancel broadcast failed: ") + e.what(), id);
        }
    }
    try {
        release_blob(current.file_key);
    } catch (const sdk::Error& e) {
        if (observer_.warning)
            observer_.warning(std::string("release: ") + e.what(), id);
    }
    return *result.record;
}

bool JobService::release_blob(const std::string& key,
                              std::optional<std::chrono::system_clock::time_point> stored_at) {
    auto guard = blob_locks_.lock(key);
    if (stored_at) {
        auto now = plugins_.storage.stat(key);
        if (!now || now->stored_at != *stored_at)
            return false;
    }
    if (plugins_.job_store.file_in_use(key))
        return false;
    return plugins_.storage.remove(key);
}

void JobService::on_worker_event(std::string_view json) {
    protocol::WorkerEvent event;
    try {
        event = protocol::decode_worker_event(json);
    } catch (const protocol::MalformedMessage& e) {
        if (observer_.warning)
            observer_.warning(std::string("worker event dropped: ") + e.what(), "");
        return;
    }
    const sdk::JobChange change = job_change_of(event);
    // Unavailable → retry
    sdk::TransitionResult result = plugins_.job_store.transition(event.job_id, change);
    if (result.outcome == sdk::TransitionOutcome::applied) {
        report_status(event.job_id, change.status);
        return;
    }
    if (observer_.warning) {
        observer_.warning("late or duplicate worker event '" +
                              std::string(protocol::event_name(event.type)) + "' dropped (job is " +
                              (result.record ? std::string(sdk::to_string(result.record->status))
                                             : std::string("unknown")) +
                              ")",
                          event.job_id);
    }
}

}  // namespace visiongw::core
