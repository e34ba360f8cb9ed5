// One job from message to settlement, by the rules of sdk/PROTOCOL.md.
#pragma once

#include <string>

#include "cancel_board.h"
#include "job_channel.h"
#include "job_message.h"
#include "visiongw/worker/worker.h"
#include "worker_events.h"
#include "worker_log.h"

namespace visiongw::worker {

// The last progress a job sent or holds (also across attempts) and when it went or goes out:
// before the first report, -1 and the time of the job's `started` event.
struct ProgressReports {
    int percent;
    CancelBoard::Clock::time_point sent_at;
};

// Parses, skips cancelled jobs, verifies the image, runs the analyzer with retries and a time
// bound, publishes the events and decides how the message is settled. Thread-safe: one run()
// per job, many at once. Holds references to everything it is given.
class JobRunner {
public:
    JobRunner(const WorkerOptions& options, const Analyzer& analyzer, JobChannel& channel,
              const CancelBoard& board, const WorkerLog& log);

    // `headers` are the job message's.
    Settlement run(const std::string& body, const DeliveryHeaders& headers);

private:
    Settlement run_job(const Job& job);
    Poco::JSON::Object::Ptr analyse_with_retries(const Job& job);
    Poco::JSON::Object::Ptr attempt(const Job& job, std::FILE* image,
                                    ProgressReports& reported_progress);

    const WorkerOptions& options_;
    const Analyzer& analyzer_;
    JobChannel& channel_;
    const CancelBoard& board_;
    const WorkerLog& log_;
    WorkerEvents events_;
};

}  // namespace visiongw::worker
