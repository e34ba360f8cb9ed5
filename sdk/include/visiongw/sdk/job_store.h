// Job store: one record per job, with state transitions that never leave a final state.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "visiongw/sdk/plugin.h"

namespace visiongw::sdk {

inline constexpr const char* kJobStoreKind = "job_store";

enum class JobStatus { queued, processing, completed, failed, cancelled };

inline constexpr bool is_final(JobStatus status) {
    return status == JobStatus::completed || status == JobStatus::failed ||
           status == JobStatus::cancelled;
}

inline constexpr std::string_view to_string(JobStatus status) {
    switch (status) {
        case JobStatus::queued:
            return "queued";
        case JobStatus::processing:
            return "processing";
        case JobStatus::completed:
            return "completed";
        case JobStatus::failed:
            return "failed";
        case JobStatus::cancelled:
            return "cancelled";
    }
    return "queued";
}

inline std::optional<JobStatus> parse_job_status(std::string_view text) {
    for (JobStatus s : {JobStatus::queued, JobStatus::processing, JobStatus::completed,
                        JobStatus::failed, JobStatus::cancelled}) {
        if (to_string(s) == text)
            return s;
    }
    return std::nullopt;
}

// Where the completion webhook of a job with a callback_url stands: `pending` until a
// delivery is answered 2xx (`delivered`) or the gateway gives up retrying (`failed`).
enum class WebhookStatus { pending, delivered, failed };

inline constexpr std::string_view to_string(WebhookStatus status) {
    switch (status) {
        case WebhookStatus::pending:
            return "pending";
        case WebhookStatus::delivered:
            return "delivered";
        case WebhookStatus::failed:
            return "failed";
    }
    return "pending";
}

inline std::optional<WebhookStatus> parse_webhook_status(std::string_view text) {
    for (WebhookStatus s :
         {WebhookStatus::pending, WebhookStatus::delivered, WebhookStatus::failed}) {
        if (to_string(s) == text)
            return s;
    }
    return std::nullopt;
}

// The delivery state of a job's completion webhook (since ABI 5).
struct WebhookState {
    WebhookStatus status = WebhookStatus::pending;
    int attempts = 0;        // deliveries tried so far
    std::string last_error;  // why the latest attempt failed; empty when none did
};

// A job as stored. JSON-valued fields hold a serialized JSON value; empty means null.
struct JobRecord {
    std::string id;
    std::string tenant;  // empty when auth is off
    std::string analysis_type;
    JobStatus status = JobStatus::queued;
    int progress = 0;
    std::string parameters_json;
    std::string file_json;  // the "file" object of the API answer
    std::string file_key;   // the storage key of the image
    std::string request_id;
    std::string created_at;  // RFC 3339, UTC
    std::string updated_at;
    std::string result_json;
    std::string error_json;
    // The submit's span of its W3C trace: "00-<trace_id>-<span_id>-<flags>", and the caller's
    // valid tracestate (may be empty). Empty in records written before ABI 5.
    std::string traceparent;
    std::string tracestate;
    // The submit's `callback_url` (since ABI 5): when set, reaching a final state makes the
    // job's webhook due (see WebhookOutbox). Empty: no webhook, and `webhook` means nothing.
    std::string callback_url;
    WebhookState webhook;
};

// A requested change. Applying it to a job in a final state is refused.
struct JobChange {
    JobStatus status = JobStatus::processing;
    std::optional<int> progress;  // 0–100
    std::string result_json;      // set with completed
    std::string error_json;       // set with failed (or cancelled, for the reason)
    std::string updated_at;
};

enum class TransitionOutcome {
    applied,    // the record now has the new state
    already,    // the record already was in the requested final state (no change)
    refused,    // the record is in another final state
    not_found,  // no such job (never created or expired)
};

struct TransitionResult {
    TransitionOutcome outcome = TransitionOutcome::not_found;
    std::optional<JobRecord> record;  // the record after the call, when it exists
};

// A tenant's Idempotency-Key and the fingerprint of the request that uses it (the same request
// always has the same fingerprint).
struct IdempotencyKey {
    std::string tenant;  // empty when auth is off
    std::string key;     // 1–255 visible ASCII characters
    std::string fingerprint;
};

// What a stored key says: the request it was first used for, its job, and whether that submit
// is still in flight (`pending`: the record is written, the job not yet confirmed queued) or
// was answered (`completed`).
struct IdempotencyEntry {
    enum class State { pending, completed };
    std::string fingerprint;
    std::string job_id;
    State state = State::pending;
};

class BOOST_SYMBOL_VISIBLE JobStore : public Plugin {
public:
    // Writes a new record with the store's TTL. Throws Unavailable.
    virtual void create(const JobRecord& record) = 0;
    virtual std::optional<JobRecord> get(std::string_view id) = 0;
    // Applies `change` atomically on the server: two writers cannot race, and a job in a
    // final state stays in it. Throws Unavailable.
    virtual TransitionResult transition(std::string_view id, const JobChange& change) = 0;
    // Removes a record, to roll back a create whose job could not be queued. Throws Unavailable.
    virtual void erase(std::string_view id) = 0;
    // Whether a job that is not final still refers to this storage key. Throws Unavailable.
    virtual bool file_in_use(std::string_view file_key) = 0;

    // Idempotency keys (since ABI 5), one namespace per tenant. Each throws Unavailable.
    // The entry of the tenant's key, or nullopt when it has none (never used, expired, freed).
    virtual std::optional<IdempotencyEntry> find_idempotency_key(const IdempotencyKey& key) = 0;
    // In one atomic step: when the tenant's key is free, writes `record` as create() does and
    // the key as `pending` for it with `fingerprint`, expiring after `pending_ttl` (so a submit
    // that never ends frees it), and returns nullopt; when the key is taken, writes nothing and
    // returns its entry.
    virtual std::optional<IdempotencyEntry> create_with_idempotency_key(
        const JobRecord& record, const IdempotencyKey& key, std::chrono::seconds pending_ttl) = 0;
    // Marks the key `completed`, expiring after `ttl`, if it is still `job_id`'s.
    virtual void complete_idempotency_key(const IdempotencyKey& key, std::string_view job_id,
                                          std::chrono::seconds ttl) = 0;
    // Frees the key if it is still `job_id`'s: the submit was rolled back.
    virtual void release_idempotency_key(const IdempotencyKey& key, std::string_view job_id) = 0;
};

// Which jobs a listing asks for: one tenant's (empty: the jobs made with auth off), newest
// first, optionally only one status and one analysis type.
struct JobQuery {
    std::string tenant;
    std::optional<JobStatus> status;
    std::string analysis_type;  // empty: any
    std::size_t limit = 50;     // at most this many jobs in the page; the core caps it at 200
    std::string after;          // a JobPage::next of an earlier call; empty: from the newest
};

// One page of a listing. `next` is an opaque position in the store's order: passed back as
// JobQuery::after it continues after the page's last job, whatever was created meanwhile
// (newer jobs never shift a later page).
struct JobPage {
    std::vector<JobRecord> jobs;  // newest first
    std::string next;             // empty when there are no more jobs
};

// The listing capability of a job store: a JobStore plugin that can list derives from this
// interface as well, and the host finds it with dynamic_cast (a store without it answers the
// job list route with 501). A listing costs time in proportion to its page, not to the number
// of jobs, and a job leaves every listing when its record expires.
class BOOST_SYMBOL_VISIBLE JobLister {
public:
    virtual ~JobLister() = default;
    // Throws InvalidCursor for an `after` this store did not hand out, Unavailable.
    virtual JobPage list(const JobQuery& query) = 0;
};

// The outcome of one delivery attempt of a job's webhook, as the gateway records it.
struct WebhookAttempt {
    int attempt = 1;  // the claimed record's webhook.attempts + 1
    bool delivered = false;
    std::string error;  // why it failed (when not delivered)
    // When not delivered: try again after this long, or give up (`failed`) when nullopt.
    std::optional<std::chrono::milliseconds> retry_after;
};

// The webhook capability of a job store (since ABI 5): a durable outbox of the completion
// webhooks of jobs that have a callback_url, found by the host with dynamic_cast like
// JobLister (a gateway whose [webhooks] are on refuses to start without it). A record's
// transition to a final state makes its webhook due, in the same atomic step, so deliveries
// survive a gateway restart; several gateways may share the outbox.
class BOOST_SYMBOL_VISIBLE WebhookOutbox {
public:
    virtual ~WebhookOutbox() = default;
    // Up to `limit` records whose webhook is pending and due, each then claimed for `lease`:
    // no other claim returns it before the lease ends (when its attempt was not recorded, as
    // after a crash, it comes back then). Records that expired leave the outbox. Throws
    // Unavailable.
    virtual std::vector<JobRecord> claim_due_webhooks(std::chrono::milliseconds lease,
                                                      std::size_t limit) = 0;
    // Records an attempt on a claimed webhook: delivered or failed for good leaves the outbox,
    // a retry makes it due again after `retry_after`. Applied only while the webhook is pending
    // with `attempt - 1` attempts, so a stale or repeated record changes nothing; returns
    // whether it was applied. Throws Unavailable.
    virtual bool record_webhook_attempt(std::string_view job_id, const WebhookAttempt& attempt) = 0;
};

}  // namespace visiongw::sdk
