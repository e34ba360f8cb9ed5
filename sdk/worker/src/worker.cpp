#include "visiongw/worker/worker.h"

#include <pthread.h>

#include <condition_variable>
#include <deque>
#include <stdexcept>
#include <thread>
#include <vector>

#include "broker_session.h"
#include "cancel_board.h"
#include "job_runner.h"
#include "visiongw/amqp/topology.h"
#include "worker_events.h"
#include "worker_log.h"

namespace visiongw::worker {
namespace {

// `threads` job threads taking deliveries in order; close() lets them finish every delivery
// handed in so far, then joins them.
class JobPool {
public:
    JobPool(int threads, std::function<void(const JobDelivery&)> work)
        : threads_(threads), work_(std::move(work)) {}
    ~JobPool() { close(); }

    void start() {
        for (int i = 0; i < threads_; ++i)
            workers_.emplace_back([this] {
                pthread_setname_np(pthread_self(), "vgw-job");  // as top -H and perf show it
                serve();
            });
    }

    void submit(JobDelivery delivery) {
        {
            std::lock_guard lock(mutex_);
            deliveries_.push_back(std::move(delivery));
        }
        ready_.notify_one();
    }

    void close() {
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
        }
        ready_.notify_all();
        for (auto& worker : workers_)
            worker.join();
        workers_.clear();
    }

private:
    void serve() {
        for (;;) {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [&] { return closed_ || !deliveries_.empty(); });
            if (deliveries_.empty())
                return;
            JobDelivery delivery = std::move(deliveries_.front());
            deliveries_.pop_front();
            lock.unlock();
            work_(delivery);
        }
    }

    int threads_;
    std::function<void(const JobDelivery&)> work_;
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<JobDelivery> deliveries_;
    bool closed_ = false;
};

WorkerOptions checked(WorkerOptions options) {
    if (options.concurrency < 1 || options.concurrency > 1000) {
        throw std::invalid_argument("concurrency must be between 1 and 1000");
    }
    if (options.max_retries < 0)
        throw std::invalid_argument("max_retries must not be negative");
    if (options.retry_backoff.count() < 0) {
        throw std::invalid_argument("retry_backoff must not be negative");
    }
    if (options.progress_interval.count() < 0) {
        throw std::invalid_argument("progress_interval must not be negative");
    }
    if (options.max_analysis.count() < 1) {
        throw std::invalid_argument("max_analysis must be at least one second");
    }
    if (options.storage_root.empty()) {
        throw std::invalid_argument(
            "storage_root must name the folder the gateway stores images in");
    }
    amqp::parse_broker_urls(options.amqp_url);
    if (options.worker_id.empty())
        options.worker_id = default_worker_id();
    return options;
}

}  // namespace

// Everything a Worker owns; members are declared in the order they may be destroyed in.
struct Worker::Parts {
    Parts(WorkerOptions options, Analyzer analyzer)
        : options(checked(std::move(options))),
          analyzer(std::move(analyzer)),
          log(this->options.log),
          board(amqp::parse_max_age(this->options.topology.cancel_retention)),
          session(this->options, board, log,
                  [this](JobDelivery delivery) { pool.submit(std::move(delivery)); }),
          runner(this->options, this->analyzer, session, board, log),
          pool(this->options.concurrency, [this](const JobDelivery& delivery) {
              session.settle(delivery, runner.run(delivery.body, delivery.headers));
          }) {}

    WorkerOptions options;
    Analyzer analyzer;
    WorkerLog log;
    CancelBoard board;
    BrokerSession session;
    JobRunner runner;
    JobPool pool;
};

Worker::Worker(WorkerOptions options, Analyzer analyzer)
    : parts_(std::make_unique<Parts>(std::move(options), std::move(analyzer))) {}

Worker::~Worker() = default;

void Worker::run() {
    parts_->pool.start();
    parts_->session.start();
    parts_->log.write(LogLevel::info, "worker " + parts_->options.worker_id + " started with " +
                                          std::to_string(parts_->options.concurrency) +
                                          " job thread(s)");
    parts_->board.wait_until_stopping();
    parts_->pool.close();
    parts_->session.stop();
    parts_->log.write(LogLevel::info, "worker stopped");
}

void Worker::stop() {
    parts_->board.stop();
}

}  // namespace visiongw::worker
