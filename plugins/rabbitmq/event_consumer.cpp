#include "event_consumer.h"

#include <pthread.h>

#include <optional>
#include <variant>

#include "visiongw/amqp/topology.h"
#include "visiongw/protocol/dead_letter.h"

namespace visiongw::rabbitmq {
namespace {

using namespace std::chrono_literals;

constexpr std::uint16_t kPrefetch = 64;
constexpr auto kPoll = 200ms;             // well below any heartbeat interval (at least 1 s)
constexpr auto kUnavailableBackoff = 1s;  // before requeueing an event the sink could not take

// The `failed` worker event that stands for a dead-lettered job message; "" without a job id.
std::string dead_letter_event(const amqp::Delivery& delivery) {
    const auto& headers = delivery.properties.headers;
    auto reason = headers.find("x-first-death-reason");
    auto event = protocol::dead_letter_event(
        delivery.properties.message_id, delivery.body,
        reason == headers.end() ? std::nullopt : std::optional<std::string_view>(reason->second));
    return event ? protocol::encode_worker_event(*event) : "";
}

std::string current_exception_text() {
    try {
        throw;
    } catch (const std::exception& error) {
        return error.what();
    } catch (...) {
        return "unknown exception";
    }
}

}  // namespace

EventConsumer::EventConsumer(const TransportSettings& settings, sdk::WorkerEventSink& sink,
                             sdk::PluginLog& log)
    : settings_(settings),
      sink_(sink),
      log_(log),
      link_(broker_link(settings, "event consumer", log,
                        [this](amqp::AmqpConnection& connection) { on_connected(connection); })) {}

EventConsumer::~EventConsumer() {
    stop();
}

void EventConsumer::start() {
    owner_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "vgw-events");  // as top -H and perf show it
        run();
    });
}

void EventConsumer::stop() noexcept {
    {
        std::lock_guard lock(mutex_);
        if (!owner_.joinable())
            return;
        stopping_ = true;
    }
    stop_requested_.notify_all();
    owner_.join();
}

bool EventConsumer::pause(std::chrono::milliseconds delay) {
    std::unique_lock lock(mutex_);
    return !stop_requested_.wait_for(lock, delay, [this] { return stopping_; });
}

bool EventConsumer::running() {
    std::lock_guard lock(mutex_);
    return !stopping_;
}

void EventConsumer::run() {
    for (;;) {
        amqp::AmqpConnection* connection = link_.connect();
        if (connection == nullptr) {
            if (!pause(link_.retry_delay()))
                break;
            continue;
        }
        try {
            while (running()) {
                auto event = connection->next_event(kPoll);
                if (!event)
                    continue;
                if (const auto* delivery = std::get_if<amqp::Delivery>(&*event)) {
                    handle(*connection, *delivery);
                }
            }
            break;
        } catch (const amqp::AmqpError& error) {
            link_.drop(error.what());
        }
    }
    link_.close();
}

void EventConsumer::on_connected(amqp::AmqpConnection& connection) {
    amqp::declare_topology(connection, settings_.topology);
    connection.set_prefetch(kPrefetch);
    connection.consume(settings_.topology.events_queue);
    dead_letter_consumer_ = connection.consume(settings_.topology.dead_letter_queue());
}

void EventConsumer::handle(amqp::AmqpConnection& connection, const amqp::Delivery& delivery) {
    const bool dead_letter = delivery.consumer_tag == dead_letter_consumer_;
    const std::string event = dead_letter ? dead_letter_event(delivery) : delivery.body;
    if (event.empty()) {
        log_.write(sdk::LogLevel::error,
                   "rabbitmq dropped a dead-lettered message without a job id: " + delivery.body);
        connection.ack(delivery.delivery_tag);
        return;
    }
    try {
        sink_.on_worker_event(event);
        ++events_consumed_;
    } catch (const sdk::Unavailable& error) {
        log_.write(sdk::LogLevel::warning,
                   std::string("rabbitmq requeues a worker event the job store cannot take now: ") +
                       error.what());
        pause(kUnavailableBackoff);
        connection.nack(delivery.delivery_tag, true);
        return;
    } catch (...) {
        log_.write(sdk::LogLevel::error, "rabbitmq dropped a worker event that failed (" +
                                             current_exception_text() + "): " + event);
    }
    connection.ack(delivery.delivery_tag);
}

}  // namespace visiongw::rabbitmq
