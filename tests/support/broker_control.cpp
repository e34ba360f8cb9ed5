#include "broker_control.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "processes.h"
#include "test_services.h"

namespace visiongw::testing {

amqp::BrokerAddress test_broker() {
    return amqp::parse_broker_url(amqp_url());
}

amqp::AmqpConnection connect_test_broker() {
    return amqp::AmqpConnection(test_broker(), amqp::ConnectionOptions{});
}

amqp::Topology unique_topology() {
    const std::string prefix = "vgwtest." + unique_suffix();
    amqp::Topology topology;
    topology.exchange = topology.queue = prefix + ".jobs";
    topology.events_exchange = topology.events_queue = prefix + ".events";
    topology.cancel_exchange = prefix + ".cancel";
    topology.cancel_stream = prefix + ".cancellations";
    return topology;
}

void delete_topology(amqp::AmqpConnection& connection, const amqp::Topology& topology) {
    for (const std::string& queue : {topology.queue, topology.dead_letter_queue(),
                                     topology.events_queue, topology.cancel_stream}) {
        connection.delete_queue(queue);
    }
    for (const std::string& exchange : {topology.exchange, topology.dead_letter_exchange(),
                                        topology.events_exchange, topology.cancel_exchange}) {
        connection.delete_exchange(exchange);
    }
}

std::optional<amqp::Delivery> next_delivery(amqp::AmqpConnection& connection,
                                            std::chrono::milliseconds timeout) {
    using namespace std::chrono_literals;
    for (auto deadline = std::chrono::steady_clock::now() + timeout;
         std::chrono::steady_clock::now() < deadline;) {
        auto event = connection.next_event(50ms);
        if (auto* delivery = event ? std::get_if<amqp::Delivery>(&*event) : nullptr)
            return std::move(*delivery);
    }
    return std::nullopt;
}

std::string rabbitmqctl(const std::string& arguments) {
    const std::string command = "rabbitmqctl -q -n " + shell_quote(rabbit_node()) + " " + arguments;
    CommandRun run = run_capturing(command);
    if (run.status != 0)
        throw std::runtime_error("failed (exit status " + std::to_string(run.status) +
                                 "): " + command);
    return run.output;
}

BrokerOutage::BrokerOutage() {
    rabbitmqctl("stop_app");
}

BrokerOutage::~BrokerOutage() {
    try {
        rabbitmqctl("start_app");
        rabbitmqctl("await_startup");
    } catch (const std::exception& e) {
        ADD_FAILURE() << "the test broker did not come back: " << e.what();
    }
}

}  // namespace visiongw::testing
