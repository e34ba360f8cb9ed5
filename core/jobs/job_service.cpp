#include "jobs/job_service.h"

#include <Poco/JSON/Parser.h>

#include <chrono>
#include <functional>
#include <sstream>

#include <Poco/JSON/Stringifier.h>

#include "jobs/job_json.h"
#include "jobs/random_uuid.h"

namespace visiongw::core {
namespace {

HttpError job_not_found(const std::string& id) {
    return HttpError(404, "job_not_found", "no job " + id);
}

HttpError unavailable(const std::string& what) {
    return HttpError(503, "service_unavailable", what, {{"Retry-After", "5"}});
}

// A worker event of the wire protocol as a job change; nullopt for an unknown event.
std::optional<sdk::JobChange> change_of(const Poco::JSON::Object& event) {
    const std::string type = event.optValue<std::string>("event", "");
    sdk::JobChange change;
    change.updated_at = utc_now();
    auto json_of = [&](const char* field) {
        std::ostringstream out;
        Poco::JSON::Stringifier::stringify(event.get(field), out);
        return out.str();
    };
    if (type == "started") {
        change.status = sdk::JobStatus::processing;
    } else if (type == "progress") {
        change.status = sdk::JobStatus::processing;
        change.progress = std::clamp(event.optValue<int>("progress", 0), 0, 100);
    } else if (type == "completed") {
        change.status = sdk::JobStatus::completed;
        change.result_json = event.has("result") ? json_of("result") : "{}";
    } else if (type == "failed") {
        change.status = sdk::JobStatus::failed;
        change.error_json =
            event.has("error") ? json_of("error") : R"({"code":"analysis_failed","message":""})";
    } else {
        return std::nullopt;
    }
    return change;
}

}  // namespace

BlobLocks::Guard::Guard(BlobLocks& locks, std::string key) : locks_(&locks), key_(std::move(key)) {
    std::unique_lock lock(locks.mutex_);
    locks.released_.wait(lock, [&] { return !locks.held_.contains(key_); });
    locks.held_.insert(key_);
}

void BlobLocks::Guard::unlock() {
    if (locks_ == nullptr)
        return;
    {
        std::lock_guard lock(locks_->mutex_);
        locks_->held_.erase(key_);
    }
    locks_->released_.notify_all();
    locks_ = nullptr;
}

JobChanges::Watch::Watch(JobChanges& changes, std::string job_id)
    : changes_(changes), job_id_(std::move(job_id)) {
    std::lock_guard guard(changes_.mutex_);
    Watched& watched = changes_.watched_[job_id_];
    ++watched.watches;
    seen_ = watched.version;
}

JobChanges::Watch::~Watch() {
    std::lock_guard guard(changes_.mutex_);
    auto it = changes_.watched_.find(job_id_);
    if (--it->second.watches == 0)
        changes_.watched_.erase(it);
}

bool JobChanges::Watch::wait(std::chrono::milliseconds timeout) {
    std::unique_lock guard(changes_.mutex_);
    Watched& watched = changes_.watched_.find(job_id_)->second;
    const bool changed =
        watched.changed.wait_for(guard, timeout, [&] { return watched.version != seen_; });
    seen_ = watched.version;
    return changed;
}

void JobChanges::notify(const std::string& job_id) {
    std::lock_guard guard(mutex_);
    if (auto it = watched_.find(job_id); it != watched_.end()) {
        ++it->second.version;
        it->second.changed.notify_all();
    }
}

void check_job_id(const std::string& id) {
    bool valid = id.size() == 36;
    for (std::size_t i = 0; valid && i < id.size(); ++i) {
        char c = id[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        valid = dash ? c == '-' : ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }
    if (!valid) {
        throw HttpError(400, "invalid_job_id",
                        "job id must be a UUID like 3f0c2a4e-8b1d-4c6e-9f7a-0123456789ab");
    }
}

std::string canonical_job_id(std::string id) {
    for (char& c : id) {
        if (c >= 'A' && c <= 'F')
            c = static_cast<char>(c - 'A' + 'a');
    }
    check_job_id(id);
    return id;
}

JobService::JobService(JobPlugins plugins, std::chrono::milliseconds publish_timeout,
                       bool hide_dedup, JobObserver observer)
    : plugins_(std::move(plugins)),
      publish_timeout_(publish_timeout),
      hide_dedup_(hide_dedup),
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
        throw HttpError(400, "missing_field", "analysis_type is required");
    }
    auto it = plugins_.validators.find(field->second);
    if (it == plugins_.validators.end()) {
        std::string known;
        for (const auto& type : analysis_types())
            known += (known.empty() ? "" : ", ") + type;
        throw HttpError(400, "unknown_analysis_type",
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

sdk::JobRecord JobService::submit(ReceivedUpload upload, const Identity& who,
                                  const std::string& request_id, StepClock& clock) {
    sdk::AnalysisValidator& validator = validator_for(upload);
    sdk::ValidatedParameters parameters = validator.validate(upload.fields);
    if (!parameters.errors.empty()) {
        const auto& first = parameters.errors.front();
        std::string message;
        for (const auto& error : parameters.errors) {
            message += (message.empty() ? "" : "; ") + error.message;
        }
        throw HttpError(400, first.code, message);
    }

    sdk::JobRecord record;
    record.id = random_uuid();
    record.tenant = who.tenant;
    record.analysis_type = validator.analysis_type();
    record.status = sdk::JobStatus::queued;
    record.parameters_json = parameters_json(parameters.values);
    record.request_id = request_id;
    record.created_at = record.updated_at = utc_now();

    const std::string key = upload.sha256 + "." + std::string(upload.image.extension());
    auto guard = blob_locks_.lock(key);
    sdk::StoredBlob blob = upload.blob->commit(upload.sha256, upload.image.extension());
    upload.blob.reset();
    clock.mark(SubmitStep::commit);
    record.file_key = blob.key;
    record.file_json = file_json(upload, blob.deduplicated && !hide_dedup_);
    auto roll_back = [&](bool record_written) {
        try {
            if (record_written)
                plugins_.jobs.erase(record.id);
        } catch (const std::exception& e) {
            if (observer_.warning)
                observer_.warning(std::string("rollback: ") + e.what(), record.id);
        }
        if (!blob.deduplicated)
            plugins_.storage.remove(blob.key);
    };

    try {
        plugins_.jobs.create(record);
    } catch (const sdk::Unavailable& e) {
        roll_back(false);
        throw unavailable(std::string("job store unavailable: ") + e.what());
    }
    clock.mark(SubmitStep::record);
    sdk::JobMessage message{record.id, request_id,
                            job_message_json(record, upload, blob.location, parameters.values)};
    auto published = [&](bool ok) {
        const double ms = clock.mark(SubmitStep::publish);
        if (observer_.published)
            observer_.published(ms / 1000, ok);
    };
    try {
        plugins_.queue.publish(message, publish_timeout_);
    } catch (const sdk::Unavailable& e) {
        published(false);
        roll_back(true);
        throw unavailable(std::string("queue unavailable: ") + e.what());
    }
    published(true);
    guard.unlock();
    report_status(record.id, record.status);

    return record;
}

sdk::JobRecord JobService::get(const std::string& id, const Identity& who) {
    check_job_id(id);
    std::optional<sdk::JobRecord> record;
    try {
        record = plugins_.jobs.get(id);
    } catch (const sdk::Unavailable& e) {
        throw unavailable(std::string("job store unavailable: ") + e.what());
    }
    if (!record || record->tenant != who.tenant)
        throw job_not_found(id);
    return *record;
}

sdk::JobRecord JobService::cancel(const std::string& id, const Identity& who,
                                  const std::string& request_id) {
    sdk::JobRecord current = get(id, who);
    sdk::JobChange change;
    change.status = sdk::JobStatus::cancelled;
    change.updated_at = utc_now();
    sdk::TransitionResult result;
    try {
        result = plugins_.jobs.transition(id, change);
    } catch (const sdk::Unavailable& e) {
        throw unavailable(std::string("job store unavailable: ") + e.what());
    }
    switch (result.outcome) {
        case sdk::TransitionOutcome::not_found:
            throw job_not_found(id);
        case sdk::TransitionOutcome::refused:
            throw HttpError(409, "job_finished",
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
    if (plugins_.jobs.file_in_use(key))
        return false;
    return plugins_.storage.remove(key);
}

void JobService::on_worker_event(std::string_view json) {
    Poco::JSON::Object::Ptr event;
    try {
        event = Poco::JSON::Parser().parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception&) {
        if (observer_.warning)
            observer_.warning("worker event is not a JSON object; dropped", "");
        return;
    }
    const std::string id = event->optValue<std::string>("job_id", "");
    auto change = change_of(*event);
    if (id.empty() || !change) {
        if (observer_.warning) {
            observer_.warning("worker event without job_id or with an unknown event; dropped", id);
        }
        return;
    }
    sdk::TransitionResult result = plugins_.jobs.transition(id, *change);  // Unavailable → retry
    if (result.outcome == sdk::TransitionOutcome::applied) {
        report_status(id, change->status);
        return;
    }
    if (observer_.warning) {
        observer_.warning("late or duplicate worker event '" +
                              event->optValue<std::string>("event", "") + "' dropped (job is " +
                              (result.record ? std::string(sdk::to_string(result.record->status))
                                             : std::string("unknown")) +
                              ")",
                          id);
    }
}

}  // namespace visiongw::core
