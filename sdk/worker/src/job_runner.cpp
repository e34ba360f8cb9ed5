#include "job_runner.h"

#include <algorithm>

#include "job_message.h"
#include "verified_image.h"

namespace visiongw::worker {
namespace {

// The context of one attempt: stops on cancel, worker stop or the attempt's deadline, and
// sends only progress that grew, at most one report per `interval` counted from the job's
// `started` event (also across attempts, through `reported`). A report that comes sooner is
// held until its interval is over, so the last one is seen even if the analyzer then works
// silently; a newer report or the job's final event replaces it.
class AttemptContext final : public AnalysisContext {
public:
    using Clock = CancelBoard::Clock;

    AttemptContext(const Job& job, std::FILE* image, Clock::time_point deadline,
                   std::chrono::milliseconds interval, JobChannel& channel,
                   const CancelBoard& board, const WorkerEvents& events, const WorkerLog& log,
                   ProgressReports& reported)
        : job_(job),
          image_(image),
          deadline_(deadline),
          interval_(interval),
          channel_(channel),
          board_(board),
          events_(events),
          log_(log),
          reported_(reported) {}

    const Job& job() const override { return job_; }
    std::FILE* image() override { return image_; }

    void progress(int percent) override {
        percent = std::clamp(percent, 0, 100);
        if (percent <= reported_.percent || cancelled())
            return;
        const auto now = Clock::now();
        // A held report lies ahead of now: a newer one takes its place and its time.
        const auto due =
            now < reported_.sent_at ? reported_.sent_at : reported_.sent_at + interval_;
        reported_ = {percent, std::max(due, now)};
        const std::string event = events_.progress(job_.job_id, percent);
        try {
            if (due <= now)
                channel_.publish_event(job_, event, false);
            else
                channel_.publish_event_at(job_, event, due);
        } catch (const BrokerLost& e) {
            log_.write(LogLevel::debug, std::string("progress not sent: ") + e.what(), &job_);
        }
    }

    bool cancelled() const override {
        return timed_out() || board_.stopping() || board_.cancelled(job_.job_id);
    }

    Clock::time_point deadline() const override { return deadline_; }

    bool timed_out() const { return Clock::now() >= deadline_; }

private:
    const Job& job_;
    std::FILE* image_;
    Clock::time_point deadline_;
    std::chrono::milliseconds interval_;
    JobChannel& channel_;
    const CancelBoard& board_;
    const WorkerEvents& events_;
    const WorkerLog& log_;
    ProgressReports& reported_;
};

}  // namespace

JobRunner::JobRunner(const WorkerOptions& options, const Analyzer& analyzer, JobChannel& channel,
                     const CancelBoard& board, const WorkerLog& log)
    : options_(options),
      analyzer_(analyzer),
      channel_(channel),
      board_(board),
      log_(log),
      events_(options.worker_id) {}

Settlement JobRunner::run(const std::string& body, const DeliveryHeaders& headers) {
    Job job;
    try {
        job = parse_job_message(body, headers);
    } catch (const protocol::MalformedMessage& e) {
        log_.write(LogLevel::warning,
                   std::string("unusable job message, dead-lettering it: ") + e.what());
        return Settlement::dead_letter;
    }
    try {
        return run_job(job);
    } catch (const BrokerLost& e) {
        log_.write(LogLevel::warning,
                   std::string("broker lost, job left for redelivery: ") + e.what(), &job);
        return Settlement::release;
    } catch (const std::exception& e) {
        // Requeueing could loop on the same error; a dead letter makes the job visibly failed.
        log_.write(LogLevel::error, std::string("job dead-lettered after an error: ") + e.what(),
                   &job);
        return Settlement::dead_letter;
    }
}

Settlement JobRunner::run_job(const Job& job) {
    if (board_.stopping())
        return Settlement::release;
    channel_.catch_up_cancellations();
    if (board_.cancelled(job.job_id)) {
        log_.write(LogLevel::info, "job was cancelled before it started: skipped", &job);
        return Settlement::ack;
    }
    channel_.publish_event(job, events_.started(job.job_id), false);
    log_.write(LogLevel::info, "job started (" + job.analysis_type + ")", &job);
    std::string final_event;
    std::string verdict;
    try {
        final_event = events_.completed(job.job_id, analyse_with_retries(job));
        verdict = "job completed";
    } catch (const AnalysisError& e) {
        final_event = events_.failed(job.job_id, e.code(), e.what());
        verdict = "job failed (" + e.code() + "): " + e.what();
    }
    if (board_.cancelled(job.job_id)) {
        log_.write(LogLevel::info, "job was cancelled while running: stopped", &job);
        return Settlement::ack;
    }
    if (board_.stopping()) {
        log_.write(LogLevel::info, "worker stopping: job abandoned for redelivery", &job);
        return Settlement::release;
    }
    channel_.publish_event(job, final_event, true);
    log_.write(LogLevel::info, verdict, &job);
    return Settlement::ack;
}

Poco::JSON::Object::Ptr JobRunner::analyse_with_retries(const Job& job) {
    VerifiedImage image(job, options_.storage_root);
    ProgressReports reported_progress{-1, CancelBoard::Clock::now()};  // just after `started`
    for (int failures = 0;; ++failures) {
        try {
            return attempt(job, image.rewound(), reported_progress);
        } catch (const AnalysisError& e) {
            if (!e.retryable() || failures >= options_.max_retries)
                throw;
            auto backoff = options_.retry_backoff * (1LL << std::min(failures, 20));
            log_.write(LogLevel::warning,
                       "attempt " + std::to_string(failures + 1) + " failed (" + e.code() + "): " +
                           e.what() + "; retrying in " + std::to_string(backoff.count()) + " ms",
                       &job);
            if (!board_.sleep_until(job.job_id, CancelBoard::Clock::now() + backoff))
                throw;
        }
    }
}

Poco::JSON::Object::Ptr JobRunner::attempt(const Job& job, std::FILE* image,
                                           ProgressReports& reported_progress) {
    AttemptContext context(job, image, CancelBoard::Clock::now() + options_.max_analysis,
                           options_.progress_interval, channel_, board_, events_, log_,
                           reported_progress);
    Poco::JSON::Object::Ptr result;
    try {
        result = analyzer_(context);
    } catch (const AnalysisError&) {
        if (!context.timed_out())
            throw;
    } catch (const std::exception& e) {
        if (!context.timed_out())
            throw AnalysisError("analyzer_error", e.what(), false);
    }
    if (context.timed_out()) {
        throw AnalysisError("timeout",
                            "the analysis took longer than max_analysis_seconds (" +
                                std::to_string(options_.max_analysis.count()) + " s)",
                            true);
    }
    if (result.isNull()) {
        throw AnalysisError("analyzer_error", "the analyzer returned no result", false);
    }
    return result;
}

}  // namespace visiongw::worker
