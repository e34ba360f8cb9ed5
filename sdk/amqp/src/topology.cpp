#include "visiongw/amqp/topology.h"

#include <charconv>
#include <stdexcept>
#include <system_error>

namespace visiongw::amqp {

QueueType parse_queue_type(std::string_view text) {
    if (text == "classic")
        return QueueType::classic;
    if (text == "quorum")
        return QueueType::quorum;
    throw std::invalid_argument("queue type must be classic or quorum, not \"" + std::string(text) +
                                "\"");
}

std::chrono::seconds parse_max_age(std::string_view text) {
    constexpr std::int64_t kDay = 24 * 3600;
    const auto digits = text.find_first_not_of("0123456789");
    std::int64_t count = 0;
    const bool number = digits != 0 && digits != std::string_view::npos && digits <= 9 &&
                        std::from_chars(text.data(), text.data() + digits, count).ec == std::errc{};
    if (number && count > 0 && text.size() == digits + 1) {
        switch (text[digits]) {
            case 'Y':
                return std::chrono::seconds(count * 365 * kDay);
            case 'M':
                return std::chrono::seconds(count * 30 * kDay);
            case 'D':
                return std::chrono::seconds(count * kDay);
            case 'h':
                return std::chrono::seconds(count * 3600);
            case 'm':
                return std::chrono::seconds(count * 60);
            case 's':
                return std::chrono::seconds(count);
        }
    }
    throw std::invalid_argument(
        "retention must be a positive whole number and one unit of Y, M, D, h, m or s (e.g. 1D, "
        "12h), not \"" +
        std::string(text) + "\"");
}

void declare_topology(AmqpConnection& connection, const Topology& topology) {
    // With quorum queues every queue of the protocol is replicated, so no node's loss takes a
    // job, a worker event or a dead letter with it.
    FieldTable replicated;
    if (topology.queue_type == QueueType::quorum) {
        replicated["x-queue-type"] = std::string("quorum");
        if (topology.quorum_group_size > 0)
            replicated["x-quorum-initial-group-size"] = topology.quorum_group_size;
    }
    FieldTable job_queue_arguments = replicated;
    job_queue_arguments["x-dead-letter-exchange"] = topology.dead_letter_exchange();
    if (topology.queue_type == QueueType::quorum)
        job_queue_arguments["x-delivery-limit"] = topology.delivery_limit;
    if (topology.message_ttl_ms != 0)
        job_queue_arguments["x-message-ttl"] = topology.message_ttl_ms;

    connection.declare_exchange(topology.exchange, "direct");
    connection.declare_queue(topology.queue, job_queue_arguments);
    connection.bind_queue(topology.queue, topology.exchange, topology.routing_key);

    connection.declare_exchange(topology.dead_letter_exchange(), "fanout");
    connection.declare_queue(topology.dead_letter_queue(), replicated);
    connection.bind_queue(topology.dead_letter_queue(), topology.dead_letter_exchange(), "");

    connection.declare_exchange(topology.events_exchange, "direct");
    connection.declare_queue(topology.events_queue, replicated);
    connection.bind_queue(topology.events_queue, topology.events_exchange, kEventRoutingKey);

    connection.declare_exchange(topology.cancel_exchange, "fanout");
    connection.declare_queue(topology.cancel_stream, {{"x-queue-type", std::string("stream")},
                                                      {"x-max-age", topology.cancel_retention}});
    connection.bind_queue(topology.cancel_stream, topology.cancel_exchange, "");
}

}  // namespace visiongw::amqp
