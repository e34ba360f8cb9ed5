// The cancel stream's retention: how it is read (as RabbitMQ reads x-max-age) and how long a
// worker remembers a cancellation.
#include <gtest/gtest.h>

#include <stdexcept>

#include "cancel_board.h"
#include "visiongw/amqp/topology.h"

namespace visiongw::worker {
namespace {

using namespace std::chrono_literals;

TEST(CancelRetention, ReadsEveryUnitTheBrokerKnows) {
    EXPECT_EQ(amqp::parse_max_age("1D"), 24h);
    EXPECT_EQ(amqp::parse_max_age("12h"), 12h);
    EXPECT_EQ(amqp::parse_max_age("30m"), 30min);
    EXPECT_EQ(amqp::parse_max_age("45s"), 45s);
    EXPECT_EQ(amqp::parse_max_age("2M"), 60 * 24h);
    EXPECT_EQ(amqp::parse_max_age("1Y"), 365 * 24h);
}

TEST(CancelRetention, RefusesWhatTheBrokerRefuses) {
    // RabbitMQ 3.10's rabbit_amqqueue:check_max_age/1 refused each of these (invalid_max_age,
    // or a crash for those without leading digits).
    for (const char* text : {"", "0D", "1d", "1H", "5", "1.5h", "1Dx", "D", "-1D", " 1D"}) {
        EXPECT_THROW(amqp::parse_max_age(text), std::invalid_argument) << '"' << text << '"';
    }
}

TEST(CancelRetention, BoardForgetsACancellationAfterTheRetention) {
    CancelBoard board(10s);
    const auto start = CancelBoard::Clock::now();
    board.cancel("job-a", start);
    board.cancel("job-b", start + 6s);
    board.cancel("job-a", start + 9s);  // seen again: still remembered from its first sight
    EXPECT_TRUE(board.cancelled("job-a"));

    board.cancel("job-c", start + 11s);
    EXPECT_FALSE(board.cancelled("job-a"));
    EXPECT_TRUE(board.cancelled("job-b"));
    EXPECT_TRUE(board.cancelled("job-c"));

    board.cancel("job-d", start + 17s);
    EXPECT_FALSE(board.cancelled("job-b"));
    EXPECT_TRUE(board.cancelled("job-c"));
    EXPECT_TRUE(board.cancelled("job-d"));
}

}  // namespace
}  // namespace visiongw::worker
