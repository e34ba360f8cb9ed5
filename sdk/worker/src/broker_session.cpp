#include "broker_session.h"

#include <Poco/UUIDGenerator.h>

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "visiongw/amqp/broker_link.h"
#include "visiongw/amqp/connection.h"
#include "visiongw/amqp/topology.h"
#include "visiongw/protocol/cancel_stream.h"

namespace visiongw::worker {
namespace {

using namespace std::chrono_literals;

// Longest wait of the session thread for broker frames or requests (which wake it at once):
// well below any heartbeat interval (at least 1 s), since rabbitmq-c answers heartbeats only
// inside its calls.
constexpr auto kPollInterval = 200ms;
// How long a job waits for a confirm or its marker before it gives the broker up.
constexpr auto kAnswerTimeout = 30s;
constexpr std::uint16_t kCancelStreamPrefetch = 256;
constexpr auto kFirstReconnectDelay = 500ms;
constexpr auto kLastReconnectDelay = 5000ms;
constexpr double kReconnectJitter = 0.5;  // workers that lost one node come back spread out

std::string new_message_id() {
    return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
}

// Waits for the session thread's answer; a dropped request (lost connection) breaks its
// promise.
void await(std::future<void>& answer, const std::string& what) {
    if (answer.wait_for(kAnswerTimeout) != std::future_status::ready) {
        throw BrokerLost("the broker did not " + what + " within " +
                         std::to_string(kAnswerTimeout.count()) + " s");
    }
    try {
        answer.get();
    } catch (const std::future_error&) {
        throw BrokerLost("the broker connection was lost before it could " + what);
    }
}

void refuse(std::promise<void>& promise, const std::string& reason) {
    promise.set_exception(std::make_exception_ptr(BrokerLost(reason)));
}

}  // namespace

BrokerSession::BrokerSession(const WorkerOptions& options, CancelBoard& board, const WorkerLog& log,
                             std::function<void(JobDelivery)> on_job)
    : options_(options),
      board_(board),
      log_(log),
      on_job_(std::move(on_job)),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (wake_fd_ < 0)
        throw std::system_error(errno, std::system_category(), "eventfd for the broker session");
}

BrokerSession::~BrokerSession() {
    stop();
    ::close(wake_fd_);
}

void BrokerSession::start() {
    thread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "vgw-broker");  // as top -H and perf show it
        run();
    });
}

void BrokerSession::stop() {
    stopping_ = true;
    wake();
    if (thread_.joinable())
        thread_.join();
}

void BrokerSession::submit(Request request) {
    {
        std::lock_guard lock(mutex_);
        // While disconnected the request is dropped: its promise breaks and the caller sees
        // BrokerLost at once.
        if (!connected_)
            return;
        requests_.push_back(std::move(request));
    }
    wake();
}

void BrokerSession::wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(wake_fd_, &one, sizeof one);  // fails only when full
}

void BrokerSession::await_work(const amqp::AmqpConnection& connection,
                               std::chrono::milliseconds timeout) {
    if (connection.input_pending())
        return;
    pollfd watched[2] = {{connection.socket_fd(), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(watched, 2, static_cast<int>(timeout.count())) > 0 && watched[1].revents != 0) {
        std::uint64_t count = 0;
        [[maybe_unused]] auto read = ::read(wake_fd_, &count, sizeof count);  // resets it
    }
}

void BrokerSession::settle(const JobDelivery& delivery, Settlement settlement) {
    submit(SettleRequest{delivery.connection, delivery.delivery_tag, settlement});
}

void BrokerSession::publish_event(const Job& job, const std::string& event_json, bool confirmed) {
    Publication publication = event_publication(job, event_json);
    std::future<void> answer;
    if (confirmed)
        answer = publication.confirmed.emplace().get_future();
    submit(std::move(publication));
    if (confirmed)
        await(answer, "confirm the event");
}

void BrokerSession::publish_event_at(const Job& job, const std::string& event_json,
                                     CancelBoard::Clock::time_point due) {
    submit(HeldPublication{event_publication(job, event_json), due});
}

BrokerSession::Publication BrokerSession::event_publication(const Job& job,
                                                            const std::string& event_json) const {
    return {options_.topology.events_exchange,
            amqp::kEventRoutingKey,
            new_message_id(),
            job.request_id,
            job.traceparent,
            job.tracestate,
            event_json,
            job.job_id,
            {}};
}

void BrokerSession::catch_up_cancellations() {
    MarkerRequest request;
    std::future<void> answer = request.seen.get_future();
    submit(std::move(request));
    await(answer, "return the marker on the cancel stream");
}

void BrokerSession::run() {
    amqp::BrokerLink link(
        amqp::parse_broker_urls(options_.amqp_url), amqp::ConnectionOptions{},
        amqp::Backoff(kFirstReconnectDelay, kLastReconnectDelay, kReconnectJitter),
        [this](amqp::AmqpConnection& connection) { prepare(connection); },
        [this](const amqp::LinkEvent& event) { report(event); });
    while (!stopping_) {
        amqp::AmqpConnection* connection = link.connect();
        if (connection == nullptr) {
            for (auto waited = 0ms; waited < link.retry_delay() && !stopping_; waited += 50ms)
                std::this_thread::sleep_for(50ms);
            continue;
        }
        {
            std::lock_guard lock(mutex_);
            connected_ = true;
            ++connection_id_;
        }
        try {
            serve(*connection);
            abandon_connection("the worker is stopping");
        } catch (const amqp::AmqpError& e) {
            abandon_connection(e.what());
            link.drop(e.what());
        }
    }
    link.close();
}

void BrokerSession::prepare(amqp::AmqpConnection& connection) {
    amqp::declare_topology(connection, options_.topology);
    connection.enable_confirms();
    connection.set_prefetch(kCancelStreamPrefetch);
    cancel_consumer_ = connection.consume(options_.topology.cancel_stream,
                                          {{"x-stream-offset", std::string("first")}});
    connection.set_prefetch(static_cast<std::uint16_t>(options_.concurrency));
    jobs_consumer_ = connection.consume(options_.topology.queue);
    last_publish_tag_ = 0;
}

void BrokerSession::report(const amqp::LinkEvent& event) const {
    switch (event.kind) {
        case amqp::LinkEvent::Kind::connected:
        case amqp::LinkEvent::Kind::reconnected:
            log_.write(LogLevel::info, "connected to the broker at " + event.endpoint +
                                           ", consuming " + options_.topology.queue);
            break;
        case amqp::LinkEvent::Kind::connect_failed:
            log_.write(LogLevel::warning, "broker connection failed (" + event.reason +
                                              "); retrying in " +
                                              std::to_string(event.next_attempt.count()) + " ms");
            break;
        case amqp::LinkEvent::Kind::lost:
            log_.write(LogLevel::warning, "broker connection lost (" + event.reason +
                                              "); reconnecting to " + event.endpoint);
            break;
    }
}

void BrokerSession::serve(amqp::AmqpConnection& connection) {
    // One request at a time, so that a failure drops (and breaks the promise of) only the
    // request in hand; abandon_connection() answers the rest.
    auto next_request = [this]() -> std::optional<Request> {
        std::lock_guard lock(mutex_);
        if (requests_.empty())
            return std::nullopt;
        Request request = std::move(requests_.front());
        requests_.pop_front();
        return request;
    };
    for (;;) {
        while (auto request = next_request())
            carry_out(connection, *request);
        if (stopping_)
            return;
        publish_due(connection);
        await_work(connection, until_next_due());
        std::optional<amqp::ChannelEvent> event = connection.next_event(0ms);
        if (!event)
            continue;
        if (auto* delivery = std::get_if<amqp::Delivery>(&*event)) {
            if (delivery->consumer_tag == cancel_consumer_) {
                on_cancel_stream(delivery->body);
                connection.ack(delivery->delivery_tag);
            } else {
                const auto& headers = delivery->properties.headers;
                auto header = [&headers](const char* name) {
                    auto found = headers.find(name);
                    return found == headers.end() ? std::string() : found->second;
                };
                on_job_(JobDelivery{connection_id_, delivery->delivery_tag,
                                    DeliveryHeaders{header("x-request-id"), header("traceparent"),
                                                    header("tracestate")},
                                    std::move(delivery->body)});
            }
        } else if (auto* confirm = std::get_if<amqp::PublisherConfirm>(&*event)) {
            on_confirm(*confirm);
        } else if (auto* returned = std::get_if<amqp::ReturnedMessage>(&*event)) {
            log_.write(LogLevel::warning, "an event could not be routed by " + returned->exchange +
                                              ": " + returned->reply_text);
            for (auto& [tag, publication] : unconfirmed_) {
                if (publication.message_id == returned->properties.message_id) {
                    publication.returned = true;
                }
            }
        }
    }
}

void BrokerSession::carry_out(amqp::AmqpConnection& connection, Request& request) {
    if (auto* publication = std::get_if<Publication>(&request)) {
        held_.erase(publication->job_id);
        publish(connection, *publication);
    } else if (auto* held = std::get_if<HeldPublication>(&request)) {
        // One whose time came while this request waited goes out before the newer one takes
        // its place: else an analyzer reporting often could keep pushing it back.
        publish_due(connection);
        const std::string job_id = held->publication.job_id;
        held_.insert_or_assign(job_id, std::move(*held));
    } else if (auto* marker = std::get_if<MarkerRequest>(&request)) {
        std::string marker_id = new_message_id();
        Publication publication{options_.topology.cancel_exchange,  "", marker_id, "", "", "",
                                protocol::encode_marker(marker_id), "", {}};
        publish(connection, publication);
        markers_.emplace(marker_id, std::move(marker->seen));
    } else {
        const auto& settle = std::get<SettleRequest>(request);
        if (settle.connection != connection_id_)
            return;
        switch (settle.settlement) {
            case Settlement::ack:
                connection.ack(settle.delivery_tag);
                break;
            case Settlement::dead_letter:
                connection.nack(settle.delivery_tag, false);
                break;
            case Settlement::release:
                connection.nack(settle.delivery_tag, true);
                break;
        }
    }
}

void BrokerSession::publish(amqp::AmqpConnection& connection, Publication& publication) {
    amqp::MessageProperties properties;
    properties.content_type = "application/json";
    properties.message_id = publication.message_id;
    properties.delivery_mode = amqp::kPersistent;
    if (!publication.request_id.empty()) {
        properties.headers["x-request-id"] = publication.request_id;
    }
    if (!publication.traceparent.empty())
        properties.headers["traceparent"] = publication.traceparent;
    if (!publication.tracestate.empty())
        properties.headers["tracestate"] = publication.tracestate;
    const bool mandatory = publication.exchange == options_.topology.events_exchange;
    connection.publish(publication.exchange, publication.routing_key, properties, publication.body,
                       mandatory);
    unconfirmed_.emplace(++last_publish_tag_,
                         Unconfirmed{publication.message_id, std::move(publication.confirmed)});
}

void BrokerSession::publish_due(amqp::AmqpConnection& connection) {
    const auto now = CancelBoard::Clock::now();
    for (auto it = held_.begin(); it != held_.end();) {
        if (it->second.due > now) {
            ++it;
            continue;
        }
        if (!board_.cancelled(it->first) && !board_.stopping())
            publish(connection, it->second.publication);
        it = held_.erase(it);
    }
}

std::chrono::milliseconds BrokerSession::until_next_due() const {
    std::chrono::milliseconds wait = kPollInterval;
    const auto now = CancelBoard::Clock::now();
    for (const auto& [job_id, held] : held_) {
        // Rounded up: a wait rounded down to 0 ms would spin until the event is due.
        wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(held.due - now));
    }
    return std::max(wait, std::chrono::milliseconds(0));
}

void BrokerSession::on_cancel_stream(const std::string& body) {
    protocol::CancelStreamEntry entry;
    try {
        entry = protocol::decode_cancel_stream_entry(body);
    } catch (const protocol::MalformedMessage& e) {
        log_.write(LogLevel::warning, std::string("ignored a cancel-stream entry: ") + e.what());
        return;
    }
    if (!entry.job_id.empty()) {
        if (!board_.cancelled(entry.job_id))
            log_.write(LogLevel::debug, "job cancelled", entry.job_id);
        board_.cancel(entry.job_id);
    } else if (auto marker = markers_.find(entry.marker_id); marker != markers_.end()) {
        marker->second.set_value();
        markers_.erase(marker);
    }
}

void BrokerSession::on_confirm(const amqp::PublisherConfirm& confirm) {
    auto first = confirm.multiple ? unconfirmed_.begin() : unconfirmed_.find(confirm.delivery_tag);
    auto last = confirm.multiple              ? unconfirmed_.upper_bound(confirm.delivery_tag)
                : first == unconfirmed_.end() ? first
                                              : std::next(first);
    for (auto it = first; it != last; ++it) {
        std::optional<std::promise<void>>& answer = it->second.confirmed;
        if (!answer)
            continue;
        if (!confirm.ack) {
            refuse(*answer, "the broker refused the event (basic.nack)");
        } else if (it->second.returned) {
            refuse(*answer, "the broker could not route the event to a queue");
        } else {
            answer->set_value();
        }
    }
    unconfirmed_.erase(first, last);
}

void BrokerSession::abandon_connection(const std::string& reason) {
    std::deque<Request> dropped;
    {
        std::lock_guard lock(mutex_);
        connected_ = false;
        dropped.swap(requests_);
    }
    // Destroying the promises breaks them: every waiter sees BrokerLost.
    unconfirmed_.clear();
    markers_.clear();
    held_.clear();
    if (!dropped.empty()) {
        log_.write(LogLevel::debug,
                   std::to_string(dropped.size()) + " broker requests dropped: " + reason);
    }
}

}  // namespace visiongw::worker
