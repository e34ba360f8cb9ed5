// The submit use case against in-memory plugins whose steps can be made to fail: what a
// rollback leaves behind and how it answers.
#include "jobs/job_service.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <set>

namespace visiongw::core {
namespace {

// Blobs by key; a commit of a key already there is deduplicated. remove() throws while
// `remove_failure` is set.
class MemoryStorage : public sdk::StorageBackend {
public:
    std::unique_ptr<sdk::BlobWriter> begin_write() override {
        return std::make_unique<Writer>(blobs);
    }
    std::optional<sdk::BlobStat> stat(std::string_view) override { return std::nullopt; }
    std::unique_ptr<std::istream> open(std::string_view) override { return nullptr; }
    bool remove(std::string_view key) override {
        if (remove_failure)
            throw sdk::Error(*remove_failure);
        return blobs.erase(std::string(key)) > 0;
    }
    std::vector<sdk::BlobStat> expired(std::chrono::system_clock::time_point) override {
        return {};
    }
    sdk::StorageStats stats(std::chrono::system_clock::time_point) override { return {}; }
    void configure(const sdk::PluginConfig&, sdk::PluginContext&) override {}
    sdk::Health health() override { return {true, "in memory"}; }

    std::set<std::string> blobs;
    std::optional<std::string> remove_failure;

private:
    class Writer : public sdk::BlobWriter {
    public:
        explicit Writer(std::set<std::string>& blobs) : blobs_(blobs) {}
        void write(const char*, std::size_t) override {}
        sdk::StoredBlob commit(std::string_view sha256, std::string_view extension) override {
            const std::string key = std::string(sha256) + "." + std::string(extension);
            const bool deduplicated = !blobs_.insert(key).second;
            return {.key = key,
                    .location = "/files/" + key,
                    .size = 4,
                    .deduplicated = deduplicated,
                    .url = {}};
        }
        void abort() noexcept override {}

    private:
        std::set<std::string>& blobs_;
    };
};

// Records by id, with the state rules of the SDK; each method fails with the exception of its
// `*_failure` while that is set.
class MemoryJobStore : public sdk::JobStore {
public:
    void create(const sdk::JobRecord& record) override {
        fail_if(create_failure);
        records[record.id] = record;
    }
    std::optional<sdk::JobRecord> get(std::string_view id) override {
        auto it = records.find(std::string(id));
        return it == records.end() ? std::nullopt : std::optional(it->second);
    }
    sdk::TransitionResult transition(std::string_view id, const sdk::JobChange& change) override {
        fail_if(transition_failure);
        auto it = records.find(std::string(id));
        if (it == records.end())
            return {sdk::TransitionOutcome::not_found, std::nullopt};
        if (sdk::is_final(it->second.status)) {
            return {it->second.status == change.status ? sdk::TransitionOutcome::already
                                                       : sdk::TransitionOutcome::refused,
                    it->second};
        }
        it->second.status = change.status;
        it->second.error_json = change.error_json;
        it->second.updated_at = change.updated_at;
        return {sdk::TransitionOutcome::applied, it->second};
    }
    void erase(std::string_view id) override {
        fail_if(erase_failure);
        records.erase(std::string(id));
    }
    bool file_in_use(std::string_view) override { return false; }
    std::optional<sdk::IdempotencyEntry> find_idempotency_key(
        const sdk::IdempotencyKey& key) override {
        std::lock_guard lock(keys_mutex_);
        auto it = keys.find(key.tenant + "\n" + key.key);
        return it == keys.end() ? std::nullopt : std::optional(it->second);
    }
    std::optional<sdk::IdempotencyEntry> create_with_idempotency_key(
        const sdk::JobRecord& record, const sdk::IdempotencyKey& key,
        std::chrono::seconds) override {
        std::lock_guard lock(keys_mutex_);
        auto [it, added] = keys.try_emplace(key.tenant + "\n" + key.key,
                                            sdk::IdempotencyEntry{key.fingerprint, record.id});
        if (!added)
            return it->second;
        create(record);
        return std::nullopt;
    }
    void complete_idempotency_key(const sdk::IdempotencyKey& key, std::string_view job_id,
                                  std::chrono::seconds) override {
        std::lock_guard lock(keys_mutex_);
        auto it = keys.find(key.tenant + "\n" + key.key);
        if (it != keys.end() && it->second.job_id == job_id)
            it->second.state = sdk::IdempotencyEntry::State::completed;
    }
    void release_idempotency_key(const sdk::IdempotencyKey& key, std::string_view job_id) override {
        std::lock_guard lock(keys_mutex_);
        auto it = keys.find(key.tenant + "\n" + key.key);
        if (it != keys.end() && it->second.job_id == job_id)
            keys.erase(it);
    }
    void configure(const sdk::PluginConfig&, sdk::PluginContext&) override {}
    sdk::Health health() override { return {true, "in memory"}; }

    std::map<std::string, sdk::JobRecord> records;
    std::map<std::string, sdk::IdempotencyEntry> keys;  // by tenant "\n" key
    std::exception_ptr create_failure, transition_failure, erase_failure;

private:
    std::mutex keys_mutex_;
    static void fail_if(const std::exception_ptr& failure) {
        if (failure)
            std::rethrow_exception(failure);
    }
};

// Keeps published messages; publish() throws `publish_failure` while it is set.
class MemoryQueue : public sdk::QueueTransport {
public:
    void set_event_sink(sdk::WorkerEventSink&) override {}
    void publish(const sdk::JobMessage& message, std::chrono::milliseconds) override {
        if (publish_hook)
            publish_hook();
        if (publish_failure)
            std::rethrow_exception(publish_failure);
        published.push_back(message.job_id);
    }
    void broadcast_cancel(std::string_view, std::string_view) override {}
    void configure(const sdk::PluginConfig&, sdk::PluginContext&) override {}
    sdk::Health health() override { return {true, "in memory"}; }

    std::vector<std::string> published;
    std::exception_ptr publish_failure;
    std::function<void()> publish_hook;  // runs first in publish(), on the submit's thread
};

// The analysis type `pest`, with no parameters.
class PestValidator : public sdk::AnalysisValidator {
public:
    std::string analysis_type() const override { return "pest"; }
    std::vector<sdk::ParameterSpec> parameters() const override {
        return {{"confidence_threshold", sdk::ParamType::number, 0.5, 0, 1, 0, "threshold"}};
    }
    sdk::ValidatedParameters validate(
        const std::map<std::string, std::string>& fields) const override {
        return sdk::validate_by_spec(parameters(), fields);
    }
    void configure(const sdk::PluginConfig&, sdk::PluginContext&) override {}
    sdk::Health health() override { return {true, "static"}; }
};

const std::string kSha256(64, 'a');
const std::string kImageKey = kSha256 + ".jpg";

class SubmitRollbackTest : public ::testing::Test {
protected:
    SubmitRollbackTest()
        : service_(
              JobPlugins{storage_, queue_, store_, {{"pest", std::make_shared<PestValidator>()}}},
              std::chrono::milliseconds(100), false, std::chrono::seconds(60), callbacks_,
              recording_observer()) {}

    // Notes each failed rollback step as "step: error (request id)" and its job id.
    JobObserver recording_observer() {
        JobObserver observer;
        observer.rollback_failed = [this](std::string_view step, const std::string& error,
                                          const sdk::JobRecord& record) {
            rollback_failures_.push_back(std::string(step) + ": " + error + " (" +
                                         record.request_id + ")");
            failed_job_ids_.insert(record.id);
        };
        return observer;
    }

    // Submits a JPEG for `pest` as request `req-7`; returns the JobError it throws.
    JobError failed_submit() {
        ReceivedUpload upload;
        upload.blob = storage_.begin_write();
        upload.sha256 = kSha256;
        upload.size = 4;
        upload.image = ImageInfo{ImageFormat::jpeg, 640, 480};
        upload.fields = {{"analysis_type", "pest"}};
        StepTimes steps;
        StepClock clock(steps);
        try {
            service_.submit(std::move(upload), Identity{}, RequestOrigin{"req-7", {}, ""}, clock);
        } catch (const JobError& error) {
            return error;
        }
        ADD_FAILURE() << "the submit did not throw a JobError";
        return JobError(JobErrorKind::invalid, "", "");
    }

    // The only record there is.
    const sdk::JobRecord& the_record() const {
        EXPECT_EQ(store_.records.size(), 1u);
        return store_.records.begin()->second;
    }

    MemoryStorage storage_;
    MemoryQueue queue_;
    MemoryJobStore store_;
    CallbackPolicy callbacks_{{"127.0.0.1"}, true};
    JobService service_;
    std::vector<std::string> rollback_failures_;
    std::set<std::string> failed_job_ids_;
};

std::exception_ptr unavailable(const std::string& what) {
    return std::make_exception_ptr(sdk::Unavailable(what));
}

void expect_unavailable(const JobError& error, const std::string& message) {
    EXPECT_EQ(error.kind, JobErrorKind::unavailable);
    EXPECT_EQ(error.code, "service_unavailable");
    EXPECT_EQ(std::string(error.what()), message);
}

TEST_F(SubmitRollbackTest, AFailedPublishErasesTheRecordAndRemovesTheImage) {
    queue_.publish_failure = unavailable("broker away");
    expect_unavailable(failed_submit(), "queue unavailable: broker away");
    EXPECT_TRUE(store_.records.empty());
    EXPECT_TRUE(storage_.blobs.empty());
    EXPECT_TRUE(rollback_failures_.empty());
}

TEST_F(SubmitRollbackTest, AnImageAnotherJobSharesStays) {
    storage_.blobs.insert(kImageKey);
    queue_.publish_failure = unavailable("broker away");
    expect_unavailable(failed_submit(), "queue unavailable: broker away");
    EXPECT_TRUE(store_.records.empty());
    EXPECT_EQ(storage_.blobs, std::set<std::string>{kImageKey});
}

TEST_F(SubmitRollbackTest, AnImageThatCannotBeRemovedStillEndsInUnavailable) {
    storage_.remove_failure = "disk detached";
    store_.create_failure = unavailable("redis away");
    expect_unavailable(failed_submit(), "job store unavailable: redis away");
    EXPECT_EQ(storage_.blobs, std::set<std::string>{kImageKey});  // until the janitor's pass
    storage_.blobs.clear();
    store_.create_failure = nullptr;
    queue_.publish_failure = unavailable("broker away");
    expect_unavailable(failed_submit(), "queue unavailable: broker away");

    EXPECT_TRUE(store_.records.empty());
    EXPECT_EQ(rollback_failures_,
              (std::vector<std::string>{"remove_image: disk detached (req-7)",
                                        "remove_image: disk detached (req-7)"}));
}

TEST_F(SubmitRollbackTest, WhateverTheStepThrowsTheAnswerIsUnavailable) {
    store_.create_failure = std::make_exception_ptr(std::runtime_error("reply garbled"));
    expect_unavailable(failed_submit(), "job store failed: reply garbled");
    EXPECT_TRUE(storage_.blobs.empty());
    store_.create_failure = nullptr;
    queue_.publish_failure = std::make_exception_ptr(std::logic_error("channel closed"));
    expect_unavailable(failed_submit(), "queue failed: channel closed");
    EXPECT_TRUE(store_.records.empty());
    EXPECT_TRUE(storage_.blobs.empty());
}

TEST_F(SubmitRollbackTest, ARecordThatCannotBeErasedIsMarkedFailedWithTheReason) {
    queue_.publish_failure = unavailable("broker away");
    store_.erase_failure = unavailable("redis away");
    expect_unavailable(failed_submit(), "queue unavailable: broker away");

    const sdk::JobRecord& record = the_record();
    EXPECT_EQ(record.status, sdk::JobStatus::failed);
    EXPECT_EQ(record.error_json,
              R"({"code":"not_queued","message":"the submit was rolled back (queue unavailable: )"
              R"(broker away); the job was never queued"})");
    EXPECT_TRUE(storage_.blobs.empty());  // no unfinished job names it
    EXPECT_TRUE(queue_.published.empty());
    EXPECT_EQ(rollback_failures_, std::vector<std::string>{"erase_record: redis away (req-7)"});
    EXPECT_EQ(failed_job_ids_, std::set<std::string>{record.id});
}

TEST_F(SubmitRollbackTest, ARecordThatCanBeNeitherErasedNorMarkedFailedKeepsItsImage) {
    queue_.publish_failure = unavailable("broker away");
    store_.erase_failure = unavailable("redis away");
    store_.transition_failure = unavailable("redis still away");
    storage_.remove_failure = "must not be called";
    expect_unavailable(failed_submit(), "queue unavailable: broker away");

    EXPECT_EQ(the_record().status, sdk::JobStatus::queued);
    EXPECT_EQ(storage_.blobs, std::set<std::string>{the_record().file_key});
    EXPECT_EQ(rollback_failures_,
              (std::vector<std::string>{"erase_record: redis away (req-7)",
                                        "mark_record_failed: redis still away (req-7)"}));
}

// MemoryJobStore has no listing capability: the list use case says so instead of failing.
TEST_F(SubmitRollbackTest, ListingWithAJobStoreThatCannotListIsUnsupported) {
    try {
        service_.list(sdk::JobQuery{}, Identity{});
        FAIL() << "listed without a JobLister";
    } catch (const JobError& error) {
        EXPECT_EQ(error.kind, JobErrorKind::unsupported);
        EXPECT_EQ(error.code, "not_implemented");
    }
}

// Submits with an Idempotency-Key against the same in-memory plugins.
class IdempotentSubmitTest : public SubmitRollbackTest {
protected:
    // Submits `sha256`'s JPEG for `pest` with `threshold` as `tenant` with `key`.
    // With a `callback_url` field when `callback_url` is not empty.
    Submitted submit(const std::string& key, const std::string& threshold = "0.5",
                     const std::string& tenant = "farm-1", const std::string& sha256 = kSha256,
                     const std::string& callback_url = "") {
        ReceivedUpload upload;
        upload.blob = storage_.begin_write();
        upload.sha256 = sha256;
        upload.size = 4;
        upload.image = ImageInfo{ImageFormat::jpeg, 640, 480};
        upload.fields = {{"analysis_type", "pest"}, {"confidence_threshold", threshold}};
        if (!callback_url.empty())
            upload.fields["callback_url"] = callback_url;
        StepTimes steps;
        StepClock clock(steps);
        return service_.submit(std::move(upload), Identity{tenant, "client", "key-1"},
                               RequestOrigin{"req-8", {}, key}, clock);
    }

    // The JobError the submit throws.
    JobError refusal(const std::function<void()>& submit) {
        try {
            submit();
        } catch (const JobError& error) {
            return error;
        }
        ADD_FAILURE() << "the submit did not throw a JobError";
        return JobError(JobErrorKind::invalid, "", "");
    }
};

TEST_F(IdempotentSubmitTest, ARetryReturnsTheFirstJobAndStoresRecordsAndPublishesNothing) {
    const Submitted first = submit("order-17");
    EXPECT_FALSE(first.replayed);
    storage_.blobs.clear();  // a retry must not commit the image again
    const Submitted retry = submit("order-17");
    EXPECT_TRUE(retry.replayed);
    EXPECT_EQ(retry.job.id, first.job.id);
    EXPECT_EQ(store_.records.size(), 1u);
    EXPECT_EQ(queue_.published, std::vector<std::string>{first.job.id});
    EXPECT_TRUE(storage_.blobs.empty());
}

TEST_F(IdempotentSubmitTest, TheSameKeyForAnotherRequestIsRefusedAsReused) {
    submit("order-17");
    for (auto other : std::vector<std::function<void()>>{
             [&] { submit("order-17", "0.9"); },  // other parameters
             [&] { submit("order-17", "0.5", "farm-1", std::string(64, 'b')); }}) {  // image
        const JobError error = refusal(other);
        EXPECT_EQ(error.kind, JobErrorKind::conflict);
        EXPECT_EQ(error.code, "idempotency_key_reused");
    }
    EXPECT_EQ(store_.records.size(), 1u);
    EXPECT_EQ(queue_.published.size(), 1u);
}

TEST_F(IdempotentSubmitTest, KeysArePerTenant) {
    const Submitted first = submit("order-17", "0.5", "farm-1");
    const Submitted other = submit("order-17", "0.5", "farm-2");
    EXPECT_FALSE(other.replayed);
    EXPECT_NE(other.job.id, first.job.id);
}

TEST_F(IdempotentSubmitTest, ARetryWhileTheFirstIsInFlightIsInProgress) {
    std::promise<void> publishing;
    std::promise<void> go_on;
    std::shared_future<void> released = go_on.get_future().share();
    queue_.publish_hook = [&] {
        publishing.set_value();
        released.wait();
    };
    auto first = std::async(std::launch::async, [&] { return submit("order-17"); });
    publishing.get_future().wait();
    queue_.publish_hook = nullptr;
    const JobError error = refusal([&] { submit("order-17"); });
    EXPECT_EQ(error.kind, JobErrorKind::in_progress);
    EXPECT_EQ(error.code, "idempotency_key_in_progress");
    go_on.set_value();
    const std::string id = first.get().job.id;
    EXPECT_EQ(submit("order-17").job.id, id) << "answered once the first was";
}

TEST_F(IdempotentSubmitTest, ARolledBackSubmitFreesItsKey) {
    queue_.publish_failure = unavailable("broker away");
    EXPECT_EQ(refusal([&] { submit("order-17"); }).kind, JobErrorKind::unavailable);
    EXPECT_TRUE(store_.keys.empty());
    queue_.publish_failure = nullptr;
    const Submitted again = submit("order-17");
    EXPECT_FALSE(again.replayed);
    EXPECT_EQ(queue_.published, std::vector<std::string>{again.job.id});
}

// Submits with a callback_url (the fixture's policy allows 127.0.0.1, private addresses too).
using CallbackSubmitTest = IdempotentSubmitTest;

TEST_F(CallbackSubmitTest, ARefusedCallbackUrlCommitsRecordsAndPublishesNothing) {
    const JobError error = refusal(
        [&] { submit("", "0.5", "farm-1", kSha256, "https://hooks.elsewhere.example/done"); });
    EXPECT_EQ(error.kind, JobErrorKind::invalid);
    EXPECT_EQ(error.code, "invalid_callback_url");
    EXPECT_TRUE(storage_.blobs.empty());
    EXPECT_TRUE(store_.records.empty());
    EXPECT_TRUE(queue_.published.empty());
}

TEST_F(CallbackSubmitTest, AnAcceptedCallbackUrlIsRecordedWithItsWebhookPending) {
    const Submitted submitted = submit("", "0.5", "farm-1", kSha256, "http://127.0.0.1:8123/done");
    const sdk::JobRecord& record = store_.records.at(submitted.job.id);
    EXPECT_EQ(record.callback_url, "http://127.0.0.1:8123/done");
    EXPECT_EQ(record.webhook.status, sdk::WebhookStatus::pending);
    EXPECT_EQ(record.webhook.attempts, 0);
}

TEST_F(CallbackSubmitTest, TheSameKeyWithAnotherCallbackUrlIsAnotherRequest) {
    const Submitted first = submit("order-17", "0.5", "farm-1", kSha256, "http://127.0.0.1/a");
    EXPECT_EQ(submit("order-17", "0.5", "farm-1", kSha256, "http://127.0.0.1/a").job.id,
              first.job.id);
    for (const std::string other : {"http://127.0.0.1/b", ""}) {
        const JobError error =
            refusal([&] { submit("order-17", "0.5", "farm-1", kSha256, other); });
        EXPECT_EQ(error.code, "idempotency_key_reused") << other;
    }
}

}  // namespace
}  // namespace visiongw::core
