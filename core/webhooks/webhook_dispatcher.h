// Delivers the completion webhooks a job store's outbox holds, on its own thread: claims a due
// one, re-checks its address, POSTs the signed job JSON and records the outcome, retrying with
// exponential backoff until delivered or given up. Request threads never deliver.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "visiongw/sdk/job_store.h"
#include "webhooks/callback_policy.h"

namespace visiongw::core {

// The delays between attempts: `first`, doubling up to `max`; no further attempt once the
// delays would add up to more than `give_up_after`.
struct RetrySchedule {
    std::chrono::milliseconds first{5000};
    std::chrono::milliseconds max{600000};
    std::chrono::milliseconds give_up_after{86400000};

    // The delay after `attempts` failed attempts (1 or more), or nullopt to give up.
    std::optional<std::chrono::milliseconds> delay_after(int attempts) const;
};

// The signing secrets: a tenant's own, else the global one.
struct WebhookSecrets {
    std::string global;
    std::map<std::string, std::string> by_tenant;

    const std::string& for_tenant(const std::string& tenant) const;
};

// `global` plus the tenants' secrets of `file` (none when empty): lines '<tenant> <secret>',
// blank lines and lines starting with '#' skipped, secrets of at least 16 bytes. Throws
// StartupError naming the file and line.
WebhookSecrets load_webhook_secrets(std::string global, const std::string& file);

struct WebhookDispatchSettings {
    RetrySchedule retry;
    std::chrono::seconds timeout{10};               // connect, send and answer, each
    std::chrono::milliseconds poll_interval{1000};  // how often the outbox is asked when idle
};

// What the dispatcher reports (logs and metrics); every member may be empty.
struct WebhookObserver {
    // An attempt on `job` (as claimed) ended as `attempt` says; `span_id` is the delivery's own
    // span of the job's trace (empty when the job has none); `recorded` is false when the
    // outbox no longer took it (a stale claim).
    std::function<void(const sdk::JobRecord& job, const sdk::WebhookAttempt& attempt,
                       const std::string& span_id, bool recorded)>
        attempted;
    // Claiming failed (the job store is away; reported once until a claim works again), or
    // recording an attempt failed.
    std::function<void(const std::string& error)> outbox_failed;
};

class WebhookDispatcher {
public:
    WebhookDispatcher(sdk::WebhookOutbox& outbox, const CallbackPolicy& policy,
                      WebhookSecrets secrets, WebhookDispatchSettings settings,
                      WebhookObserver observer);
    ~WebhookDispatcher() { stop(); }
    WebhookDispatcher(const WebhookDispatcher&) = delete;
    WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

    void start();
    // Ends the thread after the delivery in progress (at most one timeout).
    void stop();
    // Asks the outbox now rather than at the next poll (a job just reached a final state).
    void wake();

private:
    // Claims and delivers due webhooks, one at a time, until none is due or stop() was called.
    void deliver_due();
    void deliver(const sdk::JobRecord& job);

    sdk::WebhookOutbox& outbox_;
    const CallbackPolicy& policy_;
    WebhookSecrets secrets_;
    WebhookDispatchSettings settings_;
    WebhookObserver observer_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool woken_ = false;
    bool outbox_failing_ = false;  // the dispatcher thread's own
    std::thread thread_;
};

}  // namespace visiongw::core
