// A dead-lettered job message becomes the `failed` event of its job, whatever its body.
#include "visiongw/protocol/dead_letter.h"

#include <gtest/gtest.h>

#include "visiongw/protocol/cancel_stream.h"

namespace visiongw::protocol {
namespace {

TEST(DeadLetter, TheMessageIdNamesTheJobAndTheReasonIsQuoted) {
    auto event = dead_letter_event("job-7", "this is not JSON", "rejected");
    ASSERT_TRUE(event);
    EXPECT_EQ(event->job_id, "job-7");
    EXPECT_EQ(event->type, WorkerEventType::failed);
    EXPECT_EQ(event->error->getValue<std::string>("code"), "dead_lettered");
    EXPECT_EQ(event->error->getValue<std::string>("message"),
              "job message dead-lettered by the broker (reason: rejected)");
}

TEST(DeadLetter, WithoutAMessageIdTheBodysJobIdNamesTheJob) {
    auto event = dead_letter_event("", encode_cancellation("job-8"), std::nullopt);
    ASSERT_TRUE(event);
    EXPECT_EQ(event->job_id, "job-8");
    EXPECT_EQ(event->error->getValue<std::string>("message"),
              "job message dead-lettered by the broker (reason: unknown)");
}

TEST(DeadLetter, WithoutAnyJobIdThereIsNoEvent) {
    EXPECT_FALSE(dead_letter_event("", "this is not JSON", "expired"));
    EXPECT_FALSE(dead_letter_event("", R"({"schema_version":1})", "expired"));
    EXPECT_FALSE(dead_letter_event("", R"({"job_id":42})", "expired"));
    EXPECT_FALSE(dead_letter_event("", "[\"job-1\"]", "expired"));
}

TEST(DeadLetter, TheEventIsAWorkerEventTheGatewayReads) {
    auto event = dead_letter_event("job-7", "", "delivery_limit");
    ASSERT_TRUE(event);
    EXPECT_EQ(decode_worker_event(encode_worker_event(*event)), *event);
}

}  // namespace
}  // namespace visiongw::protocol
