// The exchanges, queues and bindings of sdk/PROTOCOL.md, declared the same way by every side.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "visiongw/amqp/connection.h"

namespace visiongw::amqp {

enum class QueueType { classic, quorum };

// Parses "classic" or "quorum"; throws std::invalid_argument for anything else.
QueueType parse_queue_type(std::string_view text);

// Parses a stream retention the way RabbitMQ reads x-max-age: a positive whole number and one
// unit of Y (365 days), M (30 days), D, h, m or s, e.g. "1D", "12h". Throws
// std::invalid_argument for anything the broker would refuse.
std::chrono::seconds parse_max_age(std::string_view text);

// Routing key of worker events on the event exchange.
inline constexpr const char* kEventRoutingKey = "event";

// The names and arguments both gateway and workers must agree on (keys of `[rabbitmq]`).
struct Topology {
    std::string exchange = "visiongw.jobs";
    std::string queue = "visiongw.jobs";
    std::string routing_key = "vision.analyze";
    QueueType queue_type = QueueType::classic;
    std::int64_t delivery_limit = 5;     // quorum queues only
    std::int64_t quorum_group_size = 0;  // replicas of each quorum queue; 0: the broker's default
    std::int64_t message_ttl_ms = 0;     // 0: messages never expire
    std::string events_exchange = "visiongw.events";
    std::string events_queue = "visiongw.events";
    std::string cancel_exchange = "visiongw.cancel";
    std::string cancel_stream = "visiongw.cancellations";
    std::string cancel_retention = "1D";  // x-max-age of the cancel stream, see parse_max_age

    std::string dead_letter_exchange() const { return exchange + ".dlx"; }
    std::string dead_letter_queue() const { return queue + ".dead"; }
};

// Declares (idempotently) every exchange, queue and binding of the protocol, all durable; with
// QueueType::quorum the job, dead-letter and event queues are all quorum queues.
// Throws AmqpError, e.g. when a queue already exists with other arguments (406).
void declare_topology(AmqpConnection& connection, const Topology& topology);

}  // namespace visiongw::amqp
