// The cancel stream's two entries: pinned bytes, both read back, anything else refused.
#include "visiongw/protocol/cancel_stream.h"

#include <gtest/gtest.h>

#include "refusal.h"

namespace visiongw::protocol {
namespace {

std::string decode_error(const std::string& body) {
    return testing::refusal([](const std::string& text) { decode_cancel_stream_entry(text); },
                            body);
}

TEST(CancelStream, EncodingsArePinned) {
    EXPECT_EQ(encode_cancellation("job-9"), R"({"schema_version":1,"job_id":"job-9"})");
    EXPECT_EQ(encode_marker("m-1"), R"({"marker":"m-1","schema_version":1})");
}

TEST(CancelStream, CancellationsAndMarkersDecodeToWhatWasEncoded) {
    EXPECT_EQ(decode_cancel_stream_entry(encode_cancellation("job-9")),
              (CancelStreamEntry{"job-9", ""}));
    EXPECT_EQ(decode_cancel_stream_entry(encode_marker("m-1")), (CancelStreamEntry{"", "m-1"}));
    // As workers in other languages write it.
    EXPECT_EQ(decode_cancel_stream_entry(R"({"schema_version": 1, "job_id": "job-3"})"),
              (CancelStreamEntry{"job-3", ""}));
}

TEST(CancelStream, EntriesWithoutAJobOrMarkerOrOfAnotherSchemaAreRefused) {
    EXPECT_NE(decode_error("cancel job-9").find("not a JSON object"), std::string::npos);
    EXPECT_EQ(decode_error(R"({"job_id":"job-9"})"), "schema_version is missing");
    EXPECT_EQ(decode_error(R"({"schema_version":2,"job_id":"job-9"})"),
              "schema_version must be 1, not 2");
    EXPECT_EQ(decode_error(R"({"schema_version":1})"),
              "a cancel-stream entry needs a job_id or a marker");
    EXPECT_EQ(decode_error(R"({"schema_version":1,"job_id":""})"), "job_id must not be empty");
    EXPECT_EQ(decode_error(R"({"schema_version":1,"marker":5})"), "marker must be a string");
}

TEST(CancelStream, EveryTruncationIsRefusedCleanly) {
    testing::expect_every_prefix_handled(
        [](const std::string& text) { decode_cancel_stream_entry(text); },
        encode_cancellation("job-9"));
}

}  // namespace
}  // namespace visiongw::protocol
