// The protocol's topology on the real broker: with quorum queues every queue a node's loss could
// take with it is replicated, with the group size asked for.
#include "visiongw/amqp/topology.h"

#include <gtest/gtest.h>

#include <string>

#include "broker_control.h"
#include "test_services.h"
#include "visiongw/amqp/connection.h"

namespace visiongw::amqp {
namespace {

// Declares `topology` and removes its queues and exchanges again at the end.
class DeclaredTopology {
public:
    explicit DeclaredTopology(Topology topology)
        : broker_(parse_broker_url(visiongw::testing::amqp_url())), topology_(std::move(topology)) {
        AmqpConnection connection(broker_, ConnectionOptions{});
        declare_topology(connection, topology_);
    }
    ~DeclaredTopology() {
        AmqpConnection connection(broker_, ConnectionOptions{});
        visiongw::testing::delete_topology(connection, topology_);
    }

    // Whether declaring `queue` again with `arguments` is accepted: the broker refuses (406)
    // a declaration whose arguments differ from the queue's.
    bool accepts(const std::string& queue, const FieldTable& arguments) const {
        try {
            AmqpConnection connection(broker_, ConnectionOptions{});
            connection.declare_queue(queue, arguments);
            return true;
        } catch (const AmqpError&) {
            return false;
        }
    }

    const Topology& topology() const { return topology_; }

private:
    BrokerAddress broker_;
    Topology topology_;
};

TEST(Topology, QuorumReplicatesTheEventAndDeadLetterQueuesWithTheGroupSize) {
    Topology topology = visiongw::testing::unique_topology();
    topology.queue_type = QueueType::quorum;
    topology.quorum_group_size = 1;
    DeclaredTopology declared(topology);
    const FieldTable replicated{{"x-queue-type", std::string("quorum")},
                                {"x-quorum-initial-group-size", std::int64_t{1}}};
    for (const auto& queue : {topology.events_queue, topology.dead_letter_queue()}) {
        SCOPED_TRACE(queue);
        EXPECT_TRUE(declared.accepts(queue, replicated));
        EXPECT_FALSE(declared.accepts(queue, {})) << "declared classic";
        EXPECT_FALSE(declared.accepts(queue, {{"x-queue-type", std::string("quorum")},
                                              {"x-quorum-initial-group-size", std::int64_t{3}}}))
            << "declared without the group size";
    }
}

TEST(Topology, ClassicKeepsTheEventAndDeadLetterQueuesClassic) {
    DeclaredTopology declared(visiongw::testing::unique_topology());
    for (const auto& queue :
         {declared.topology().events_queue, declared.topology().dead_letter_queue()}) {
        SCOPED_TRACE(queue);
        EXPECT_TRUE(declared.accepts(queue, {}));
        EXPECT_FALSE(declared.accepts(queue, {{"x-queue-type", std::string("quorum")}}));
    }
}

}  // namespace
}  // namespace visiongw::amqp
