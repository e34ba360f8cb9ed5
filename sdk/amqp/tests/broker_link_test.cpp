// The one reconnect loop of plugin and worker: its backoff, and what it reports, against a
// closed port and the real broker.
#include "visiongw/amqp/broker_link.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_services.h"

namespace visiongw::amqp {
namespace {

using namespace std::chrono_literals;

TEST(Backoff, StartsAtTheFirstDelayDoublesAndStopsAtTheCap) {
    Backoff backoff(100ms, 1000ms);
    EXPECT_EQ(backoff.delay(), 0ms);
    std::vector<std::chrono::milliseconds> delays;
    for (int i = 0; i < 6; ++i)
        delays.push_back(backoff.after_failure());
    EXPECT_EQ(delays,
              (std::vector<std::chrono::milliseconds>{100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms}));
    EXPECT_EQ(backoff.delay(), 1000ms);
}

TEST(Backoff, StartsOverAfterASuccess) {
    Backoff backoff(500ms, 5000ms);
    backoff.after_failure();
    backoff.after_failure();
    backoff.reset();
    EXPECT_EQ(backoff.delay(), 0ms);
    EXPECT_EQ(backoff.after_failure(), 500ms);
}

TEST(Backoff, ACapBelowTheFirstDelayKeepsTheFirstDelay) {
    Backoff backoff(100ms, 50ms);
    EXPECT_EQ(backoff.after_failure(), 100ms);
    EXPECT_EQ(backoff.after_failure(), 100ms);
}

TEST(Backoff, JitterDrawsEachDelayBetweenItsShareAndTheFullDelay) {
    Backoff backoff(1000ms, 1000ms, 0.5);
    std::set<std::chrono::milliseconds> seen;
    for (int i = 0; i < 50; ++i) {
        const auto delay = backoff.after_failure();
        EXPECT_GE(delay, 500ms);
        EXPECT_LE(delay, 1000ms);
        EXPECT_EQ(backoff.delay(), delay);
        seen.insert(delay);
    }
    EXPECT_GT(seen.size(), 10u);  // 50 draws from 501 values
}

TEST(Backoff, JitterDoesNotSlowTheLadderDown) {
    Backoff backoff(100ms, 800ms, 1.0);
    for (int i = 0; i < 3; ++i)
        backoff.after_failure();
    EXPECT_LE(backoff.after_failure(), 800ms);
    EXPECT_GE(backoff.delay(), 0ms);
    Backoff exact(100ms, 800ms);
    for (int i = 0; i < 3; ++i)
        exact.after_failure();
    EXPECT_EQ(exact.after_failure(), 800ms);
}

TEST(BrokerUrls, OneUrlOrSeveralSeparatedByCommas) {
    EXPECT_EQ(parse_broker_urls("amqp://u:p@a:5672/").size(), 1u);
    const BrokerList brokers =
        parse_broker_urls("amqp://u:p@node1:5701/, amqp://u:p@node2:5702/ ,amqp://v:q@node3/h");
    ASSERT_EQ(brokers.size(), 3u);
    EXPECT_EQ(brokers[0].endpoint(), "node1:5701");
    EXPECT_EQ(brokers[1].endpoint(), "node2:5702");
    EXPECT_EQ(brokers[2].endpoint(), "node3:5672");
    EXPECT_EQ(brokers[2].user, "v");
    EXPECT_EQ(brokers[2].vhost, "h");
    EXPECT_EQ(endpoints(brokers), "node1:5701, node2:5702, node3:5672");
}

TEST(BrokerUrls, TheEntryThatIsNoUrlIsNamed) {
    try {
        parse_broker_urls("amqp://u:p@node1:5701/,node2:5702");
        FAIL() << "accepted a list with a host:port entry";
    } catch (const std::invalid_argument& error) {
        EXPECT_NE(std::string(error.what()).find("broker 2 \"node2:5702\""), std::string::npos)
            << error.what();
    }
    EXPECT_THROW(parse_broker_urls("amqp://u:p@node1:5701/,"), std::invalid_argument);
    EXPECT_THROW(parse_broker_urls(""), std::invalid_argument);
}

// Records what the link reports.
struct Reports {
    std::vector<LinkEvent> events;
    BrokerLink::Report sink() {
        return [this](const LinkEvent& event) { events.push_back(event); };
    }
};

BrokerAddress closed_port() {
    BrokerAddress broker = parse_broker_url(visiongw::testing::amqp_url());
    broker.port = 1;  // nothing listens there: the connect is refused at once
    return broker;
}

TEST(BrokerLink, FailedAttemptsBackOffAndAreReportedWithTheNextDelay) {
    Reports reports;
    BrokerLink link(
        {closed_port()}, ConnectionOptions{}, Backoff(100ms, 300ms),
        [](AmqpConnection&) { FAIL() << "prepared a connection that cannot exist"; },
        reports.sink());
    std::vector<std::chrono::milliseconds> delays;
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(link.connect(), nullptr);
        delays.push_back(link.retry_delay());
    }
    EXPECT_EQ(delays, (std::vector<std::chrono::milliseconds>{100ms, 200ms, 300ms, 300ms}));
    ASSERT_EQ(reports.events.size(), 4u);
    EXPECT_EQ(reports.events[0].kind, LinkEvent::Kind::connect_failed);
    EXPECT_EQ(reports.events[0].endpoint, link.broker().endpoint());
    EXPECT_EQ(reports.events[3].next_attempt, 300ms);
    EXPECT_FALSE(reports.events[0].reason.empty());
    EXPECT_EQ(link.last_error(), reports.events[3].reason);
    EXPECT_EQ(link.reconnects(), 0u);
}

TEST(BrokerLink, PreparedConnectionIsKeptUntilDroppedAndAReconnectIsCounted) {
    Reports reports;
    int prepared = 0;
    BrokerLink link(
        {parse_broker_url(visiongw::testing::amqp_url())}, ConnectionOptions{},
        Backoff(100ms, 1000ms), [&](AmqpConnection&) { ++prepared; }, reports.sink());
    AmqpConnection* first = link.connect();
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(link.connect(), first);
    EXPECT_EQ(prepared, 1);
    link.drop("channel closed by the test");
    ASSERT_NE(link.connect(), nullptr);  // at once after a loss: no delay to wait out
    EXPECT_EQ(prepared, 2);
    EXPECT_EQ(link.reconnects(), 1u);
    ASSERT_EQ(reports.events.size(), 3u);
    EXPECT_EQ(reports.events[0].kind, LinkEvent::Kind::connected);
    EXPECT_EQ(reports.events[1].kind, LinkEvent::Kind::lost);
    EXPECT_EQ(reports.events[1].reason, "channel closed by the test");
    EXPECT_EQ(reports.events[2].kind, LinkEvent::Kind::reconnected);
    EXPECT_NE(link.last_error_note().find("channel closed by the test"), std::string::npos);
}

TEST(BrokerLink, AFailingPreparationBacksOffAndASuccessStartsTheBackoffOver) {
    Reports reports;
    int attempts = 0;
    BrokerLink link(
        {parse_broker_url(visiongw::testing::amqp_url())}, ConnectionOptions{},
        Backoff(100ms, 1000ms),
        [&](AmqpConnection&) {
            if (++attempts <= 2)
                throw AmqpError("declare refused (406)");
        },
        reports.sink());
    EXPECT_EQ(link.connect(), nullptr);
    EXPECT_EQ(link.retry_delay(), 100ms);
    EXPECT_EQ(link.connect(), nullptr);
    EXPECT_EQ(link.retry_delay(), 200ms);
    EXPECT_EQ(reports.events[1].reason, "declare refused (406)");
    ASSERT_NE(link.connect(), nullptr);
    EXPECT_EQ(link.retry_delay(), 0ms);
    EXPECT_EQ(reports.events.back().kind, LinkEvent::Kind::connected);
    link.close();
}

TEST(BrokerLink, AFailedNodeIsSkippedForTheNextOne) {
    Reports reports;
    const BrokerAddress live = parse_broker_url(visiongw::testing::amqp_url());
    BrokerLink link(
        {closed_port(), live}, ConnectionOptions{}, Backoff(100ms, 1000ms), [](AmqpConnection&) {},
        reports.sink());
    EXPECT_EQ(link.connect(), nullptr);
    EXPECT_EQ(link.retry_delay(), 100ms);
    EXPECT_EQ(link.broker().endpoint(), live.endpoint());
    ASSERT_NE(link.connect(), nullptr);
    ASSERT_EQ(reports.events.size(), 2u);
    EXPECT_EQ(reports.events[0].kind, LinkEvent::Kind::connect_failed);
    EXPECT_EQ(reports.events[0].endpoint, closed_port().endpoint());
    EXPECT_EQ(reports.events[1].kind, LinkEvent::Kind::connected);
    EXPECT_EQ(reports.events[1].endpoint, live.endpoint());
}

TEST(BrokerLink, ALostConnectionMovesOnToTheNextNodeAtOnce) {
    Reports reports;
    const BrokerAddress live = parse_broker_url(visiongw::testing::amqp_url());
    BrokerLink link(
        {live, closed_port()}, ConnectionOptions{}, Backoff(100ms, 1000ms), [](AmqpConnection&) {},
        reports.sink());
    ASSERT_NE(link.connect(), nullptr);
    link.drop("node went away");
    EXPECT_EQ(link.broker().endpoint(), closed_port().endpoint());
    EXPECT_EQ(link.connect(), nullptr);  // the next node, tried at once, is down too
    ASSERT_NE(link.connect(), nullptr);  // round robin: back to the first
    ASSERT_EQ(reports.events.size(), 4u);
    EXPECT_EQ(reports.events[1].kind, LinkEvent::Kind::lost);
    EXPECT_EQ(reports.events[1].endpoint, live.endpoint());
    EXPECT_EQ(reports.events[2].endpoint, closed_port().endpoint());
    EXPECT_EQ(reports.events[3].kind, LinkEvent::Kind::reconnected);
    EXPECT_EQ(link.reconnects(), 1u);
    link.close();
}

}  // namespace
}  // namespace visiongw::amqp
