// The worker's broker connection, owned by one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>

#include "cancel_board.h"
#include "job_channel.h"
#include "job_message.h"
#include "visiongw/worker/worker.h"
#include "worker_log.h"

namespace visiongw::amqp {
class AmqpConnection;
struct LinkEvent;
struct PublisherConfirm;
}  // namespace visiongw::amqp

namespace visiongw::worker {

// A job message handed to the worker; `connection` says on which connection it came, since
// only that connection can settle it.
struct JobDelivery {
    std::uint64_t connection = 0;
    std::uint64_t delivery_tag = 0;
    DeliveryHeaders headers;
    std::string body;
};

// Declares the topology, consumes the job queue (prefetch = concurrency) and the cancel stream
// (from its first entry, into the CancelBoard), publishes events and markers with confirms,
// settles deliveries, and reconnects after broker loss. All broker I/O happens on its own
// thread, which also answers heartbeats; the public calls are thread-safe and fail fast with
// BrokerLost while the broker is away.
class BrokerSession final : public JobChannel {
public:
    // `on_job` is called on the session's thread for each job message; it must not block.
    BrokerSession(const WorkerOptions& options, CancelBoard& board, const WorkerLog& log,
                  std::function<void(JobDelivery)> on_job);
    ~BrokerSession() override;

    void start();
    // Serves what was asked before, then closes the connection (unsettled deliveries go back
    // to the queue) and joins the thread.
    void stop();

    // Ignored when the delivery's connection is gone: the broker has requeued it already.
    void settle(const JobDelivery& delivery, Settlement settlement);

    void publish_event(const Job& job, const std::string& event_json, bool confirmed) override;
    void publish_event_at(const Job& job, const std::string& event_json,
                          CancelBoard::Clock::time_point due) override;
    void catch_up_cancellations() override;

private:
    struct Publication {
        std::string exchange;
        std::string routing_key;
        std::string message_id;
        std::string request_id;
        std::string traceparent;  // the job's trace, this worker's span; empty for a marker
        std::string tracestate;
        std::string body;
        std::string job_id;  // empty for a marker
        std::optional<std::promise<void>> confirmed;
    };
    struct HeldPublication {
        Publication publication;
        CancelBoard::Clock::time_point due;
    };
    struct MarkerRequest {
        std::promise<void> seen;
    };
    struct SettleRequest {
        std::uint64_t connection;
        std::uint64_t delivery_tag;
        Settlement settlement;
    };
    using Request = std::variant<Publication, HeldPublication, MarkerRequest, SettleRequest>;
    // A publication waiting for its confirm.
    struct Unconfirmed {
        std::string message_id;
        std::optional<std::promise<void>> confirmed;
        bool returned = false;
    };

    Publication event_publication(const Job& job, const std::string& event_json) const;
    void submit(Request request);
    // Wakes the session thread out of await_work().
    void wake();
    // Waits until the broker sent something, a request was submitted, or `timeout`.
    void await_work(const amqp::AmqpConnection& connection, std::chrono::milliseconds timeout);
    // The session thread: connects through an amqp::BrokerLink (backoff from 500 ms to 5 s),
    // serves the connection until it fails or the session stops, and starts over.
    void run();
    // Declares the topology, turns on confirms and starts both consumers on a new connection.
    void prepare(amqp::AmqpConnection& connection);
    void report(const amqp::LinkEvent& event) const;
    void serve(amqp::AmqpConnection& connection);
    void carry_out(amqp::AmqpConnection& connection, Request& request);
    void publish(amqp::AmqpConnection& connection, Publication& publication);
    // Publishes the held events whose time came, unless their job was cancelled meanwhile.
    void publish_due(amqp::AmqpConnection& connection);
    // How long await_work() may wait: kPollInterval, or less when a held event is due sooner.
    std::chrono::milliseconds until_next_due() const;
    void on_cancel_stream(const std::string& body);
    void on_confirm(const amqp::PublisherConfirm& confirm);
    // Fails everything still waiting on the connection that is gone.
    void abandon_connection(const std::string& reason);

    const WorkerOptions& options_;
    CancelBoard& board_;
    const WorkerLog& log_;
    std::function<void(JobDelivery)> on_job_;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    int wake_fd_;  // an eventfd: submit() and stop() count on it, await_work() polls it

    std::mutex mutex_;  // guards requests_, connected_, connection_id_
    std::deque<Request> requests_;
    bool connected_ = false;
    std::uint64_t connection_id_ = 0;

    // Touched by the session thread only.
    std::string jobs_consumer_;
    std::string cancel_consumer_;
    std::uint64_t last_publish_tag_ = 0;
    std::map<std::uint64_t, Unconfirmed> unconfirmed_;
    std::map<std::string, std::promise<void>> markers_;
    std::map<std::string, HeldPublication> held_;  // by job id
};

}  // namespace visiongw::worker
