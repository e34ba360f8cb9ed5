// Worker events: what a worker writes reads back as it was, its bytes stay as the gateway and
// other workers know them, and what the gateway cannot apply is refused.
#include "visiongw/protocol/worker_event.h"

#include <gtest/gtest.h>

#include "refusal.h"

namespace visiongw::protocol {
namespace {

using testing::refusal;

WorkerEvent event_of(WorkerEventType type) {
    WorkerEvent event;
    event.job_id = "job-1";
    event.type = type;
    event.worker_id = "host-1234";
    event.timestamp = "2026-11-28T17:00:01Z";
    return event;
}

Poco::JSON::Object::Ptr labels() {
    Poco::JSON::Object::Ptr result = new Poco::JSON::Object;
    Poco::JSON::Array::Ptr names = new Poco::JSON::Array;
    names->add("aphid");
    result->set("labels", names);
    result->set("score", 0.875);
    result->set("note", "caf\xc3\xa9 \"quoted\"");
    return result;
}

std::string decode_error(const std::string& body) {
    return refusal([](const std::string& text) { decode_worker_event(text); }, body);
}

TEST(WorkerEvent, EveryEventTypeDecodesToWhatWasEncoded) {
    WorkerEvent started = event_of(WorkerEventType::started);
    WorkerEvent progress = event_of(WorkerEventType::progress);
    progress.progress = 40;
    WorkerEvent completed = event_of(WorkerEventType::completed);
    completed.result = labels();
    WorkerEvent failed = event_of(WorkerEventType::failed);
    failed.error = event_error("vision_service_error", "the vision service answered 503");
    for (const WorkerEvent& event : {started, progress, completed, failed})
        EXPECT_EQ(decode_worker_event(encode_worker_event(event)), event) << event_name(event.type);
}

TEST(WorkerEvent, OptionalFieldsLeftOutRoundTrip) {
    WorkerEvent bare;
    bare.job_id = "job-2";
    bare.type = WorkerEventType::completed;
    EXPECT_EQ(decode_worker_event(encode_worker_event(bare)), bare);
    bare.type = WorkerEventType::failed;
    EXPECT_EQ(decode_worker_event(encode_worker_event(bare)), bare);
}

// The C++ worker has always written these bytes: keys in alphabetical order, no spaces.
TEST(WorkerEvent, EncodingIsPinned) {
    WorkerEvent progress = event_of(WorkerEventType::progress);
    progress.progress = 40;
    EXPECT_EQ(encode_worker_event(progress),
              R"({"event":"progress","job_id":"job-1","progress":40,"schema_version":1,)"
              R"("timestamp":"2026-11-28T17:00:01Z","worker_id":"host-1234"})");
    WorkerEvent failed = event_of(WorkerEventType::failed);
    failed.error = event_error("timeout", "too slow");
    EXPECT_EQ(encode_worker_event(failed),
              R"({"error":{"code":"timeout","message":"too slow"},"event":"failed",)"
              R"("job_id":"job-1","schema_version":1,"timestamp":"2026-11-28T17:00:01Z",)"
              R"("worker_id":"host-1234"})");
}

TEST(WorkerEvent, FieldsOfOtherEventTypesAreNotWritten) {
    WorkerEvent started = event_of(WorkerEventType::started);
    started.progress = 40;
    started.result = labels();
    started.error = event_error("x", "y");
    EXPECT_EQ(encode_worker_event(started),
              R"({"event":"started","job_id":"job-1","schema_version":1,)"
              R"("timestamp":"2026-11-28T17:00:01Z","worker_id":"host-1234"})");
}

TEST(WorkerEvent, ProgressIsClampedAndMissingProgressIsZero) {
    auto progress_of = [](const std::string& value) {
        return decode_worker_event(R"({"schema_version":1,"job_id":"j","event":"progress")" +
                                   value + "}")
            .progress;
    };
    EXPECT_EQ(progress_of(R"(,"progress":140)"), 100);
    EXPECT_EQ(progress_of(R"(,"progress":-5)"), 0);
    EXPECT_EQ(progress_of(R"(,"progress":99.9)"), 99);
    EXPECT_EQ(progress_of(""), 0);
}

TEST(WorkerEvent, TheTimestampIsUtcToTheSecond) {
    const std::string stamp = event_timestamp();
    ASSERT_EQ(stamp.size(), 20u) << stamp;
    EXPECT_EQ(stamp[10], 'T');
    EXPECT_EQ(stamp.back(), 'Z');
}

TEST(WorkerEvent, EventsTheGatewayCannotApplyAreRefused) {
    EXPECT_NE(decode_error("not json").find("not a JSON object"), std::string::npos);
    EXPECT_NE(decode_error("[]").find("not a JSON object"), std::string::npos);
    EXPECT_EQ(decode_error(R"({"job_id":"j","event":"started"})"), "schema_version is missing");
    EXPECT_EQ(decode_error(R"({"schema_version":2,"job_id":"j","event":"started"})"),
              "schema_version must be 1, not 2");
    EXPECT_EQ(decode_error(R"({"schema_version":1,"event":"started"})"), "job_id is missing");
    EXPECT_EQ(decode_error(R"({"schema_version":1,"job_id":"","event":"started"})"),
              "job_id must not be empty");
    EXPECT_EQ(decode_error(R"({"schema_version":1,"job_id":"j"})"), "event is missing");
    EXPECT_EQ(decode_error(R"({"schema_version":1,"job_id":"j","event":"paused"})"),
              "event must be started, progress, completed or failed, not \"paused\"");
    EXPECT_EQ(
        decode_error(R"({"schema_version":1,"job_id":"j","event":"progress","progress":"40"})"),
        "progress must be a number from 0 to 100");
    EXPECT_EQ(decode_error(R"({"schema_version":1,"job_id":"j","event":"completed","result":[1]})"),
              "result must be a JSON object");
    EXPECT_EQ(decode_error(R"({"schema_version":1,"job_id":"j","event":"failed","error":"no"})"),
              "error must be a JSON object");
}

TEST(WorkerEvent, InformativeFieldsOfAnotherTypeAreIgnored) {
    const WorkerEvent event = decode_worker_event(
        R"({"schema_version":1,"job_id":"j","event":"started","worker_id":7,"timestamp":null})");
    EXPECT_EQ(event.worker_id, "");
    EXPECT_EQ(event.timestamp, "");
}

TEST(WorkerEvent, NestingDeeperThanTheParserAllowsIsRefused) {
    const std::string deep = std::string(10000, '[') + std::string(10000, ']');
    const std::string message = decode_error(
        R"({"schema_version":1,"job_id":"j","event":"completed","result":{"x":)" + deep + "}}");
    EXPECT_NE(message.find("not a JSON object"), std::string::npos) << message;
}

TEST(WorkerEvent, EveryTruncationIsRefusedCleanly) {
    WorkerEvent completed = event_of(WorkerEventType::completed);
    completed.result = labels();
    testing::expect_every_prefix_handled([](const std::string& text) { decode_worker_event(text); },
                                         encode_worker_event(completed));
}

}  // namespace
}  // namespace visiongw::protocol
