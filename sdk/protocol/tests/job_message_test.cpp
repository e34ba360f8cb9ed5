// The job message: what the gateway writes reads back as it was, its bytes stay as workers in
// other languages know them, and every message PROTOCOL.md calls unusable is refused.
#include "visiongw/protocol/job_message.h"

#include <gtest/gtest.h>

#include "refusal.h"

namespace visiongw::protocol {
namespace {

using testing::refusal;

const std::string kAwkward = "a \"quoted\" \\ back\\slash, tab\t, newline\n, \x01 and caf\xc3\xa9";

JobMessage leaf_job() {
    JobMessage message;
    message.job_id = "0b7a5d0e-5d1c-4c1a-9d35-3f0a3c4c9e11";
    message.analysis_type = "disease";
    message.file_path = "/srv/files/ee/ee/x.webp";
    message.file_hash = std::string(64, 'e');
    message.metadata = {"webp", 4000, 3000, 123456789012, kAwkward, "image/webp"};
    message.parameters = {{"confidence_threshold", 0.25},
                          {"return_details", true},
                          {"custom_prompt", kAwkward},
                          {"unset", std::monostate{}}};
    message.timestamp = "2026-11-28T21:00:00Z";
    return message;
}

std::string decode_error(const std::string& body) {
    return refusal([](const std::string& text) { decode_job_message(text); }, body);
}

TEST(JobMessage, DecodesToWhatWasEncoded) {
    const JobMessage message = leaf_job();
    EXPECT_EQ(decode_job_message(encode_job_message(message)), message);
}

TEST(JobMessage, EmptyTextsAndNoParametersRoundTrip) {
    JobMessage message = leaf_job();
    message.metadata.original_filename = "";
    message.parameters = {};
    message.timestamp = "";
    EXPECT_EQ(decode_job_message(encode_job_message(message)), message);
}

// Workers in other languages and the integration tests read these exact bytes.
TEST(JobMessage, EncodingIsPinned) {
    JobMessage message = leaf_job();
    message.metadata = {"jpeg", 640, 480, 113569, "leaf.jpg", "image/jpeg"};
    message.parameters = {{"confidence_threshold", 0.6},
                          {"custom_prompt", std::monostate{}},
                          {"return_details", false}};
    message.timestamp = "2026-11-28T17:00:00Z";
    EXPECT_EQ(encode_job_message(message),
              R"({"schema_version":1,"job_id":"0b7a5d0e-5d1c-4c1a-9d35-3f0a3c4c9e11",)"
              R"("analysis_type":"disease","file_path":"/srv/files/ee/ee/x.webp",)"
              R"("file_hash":"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",)"
              R"("metadata":{"format":"jpeg","width":640,"height":480,"size_bytes":113569,)"
              R"("original_filename":"leaf.jpg","content_type":"image/jpeg"},)"
              R"("parameters":{"confidence_threshold":0.6,"custom_prompt":null,)"
              R"("return_details":false},"timestamp":"2026-11-28T17:00:00Z"})");
}

TEST(JobMessage, ParametersAreWrittenInKeyOrderWithShortestNumbers) {
    EXPECT_EQ(encode_parameters({{"b", 1.0}, {"a", "x\"y"}, {"c", 0.1}}),
              R"({"a":"x\"y","b":1,"c":0.1})");
    EXPECT_EQ(encode_parameters({}), "{}");
}

// A client's filename need not be UTF-8; the message must stay valid JSON for every worker.
TEST(JobMessage, BytesThatAreNotUtf8BecomeReplacementCharacters) {
    JobMessage message = leaf_job();
    message.metadata.original_filename = "leaf\xff\xfe.jpg";
    EXPECT_EQ(decode_job_message(encode_job_message(message)).metadata.original_filename,
              "leaf\xEF\xBF\xBD\xEF\xBF\xBD.jpg");
}

TEST(JobMessage, WholeNumberParametersReadAsNumbers) {
    const std::string body = R"({"schema_version":1,"job_id":"j","analysis_type":"pest",)"
                             R"("file_path":"/f","file_hash":")" +
                             std::string(64, 'a') +
                             R"(","metadata":{"format":"png","width":1,"height":2,)"
                             R"("size_bytes":3,"original_filename":"","content_type":"image/png"},)"
                             R"("parameters":{"n":7},"timestamp":"t"})";
    EXPECT_EQ(decode_job_message(body).parameters.at("n"), ParameterValue(7.0));
}

// PROTOCOL.md: "A message the worker cannot use at all (not JSON, unknown schema_version,
// missing fields) is rejected".
TEST(JobMessage, TextThatIsNotAJsonObjectIsRefused) {
    EXPECT_NE(decode_error("this is not JSON").find("not a JSON object"), std::string::npos);
    EXPECT_NE(decode_error("").find("not a JSON object"), std::string::npos);
    EXPECT_NE(decode_error("[1,2]").find("not a JSON object"), std::string::npos);
    EXPECT_NE(decode_error("\"text\"").find("not a JSON object"), std::string::npos);
    EXPECT_NE(decode_error("null").find("not a JSON object"), std::string::npos);
}

TEST(JobMessage, AnUnknownOrMissingSchemaVersionIsRefused) {
    const std::string body = encode_job_message(leaf_job());
    const std::string rest = body.substr(body.find(','));
    EXPECT_EQ(decode_error("{\"schema_version\":99" + rest),
              "schema_version must be 1 or 2, not 99");
    EXPECT_EQ(decode_error("{\"schema_version\":0" + rest), "schema_version must be 1 or 2, not 0");
    EXPECT_EQ(decode_error("{\"schema_version\":\"1\"" + rest),
              "schema_version must be the whole number 1 or 2");
    EXPECT_EQ(decode_error("{\"schema_version\":1.0" + rest),
              "schema_version must be the whole number 1 or 2");
    EXPECT_EQ(decode_error("{\"schema_version\":null" + rest), "schema_version is missing");
    EXPECT_EQ(decode_error("{\"v\":1" + rest), "schema_version is missing");
    EXPECT_EQ(decode_error(R"({"schema_version": 99, "job_id": "job-old-schema"})"),
              "schema_version must be 1 or 2, not 99");
}

// PROTOCOL.md, schema_version 2: a job whose image is in an object store carries file_url, and
// only such a message says version 2, so workers of version 1 go on reading local jobs.
TEST(JobMessage, AFileUrlMakesVersion2AndRoundTrips) {
    JobMessage message = leaf_job();
    const std::string version_1 = encode_job_message(message);
    EXPECT_EQ(version_1.rfind(R"({"schema_version":1,)", 0), 0u) << version_1;
    EXPECT_EQ(version_1.find("file_url"), std::string::npos);

    message.file_path = "s3://visiongw/images/" + message.file_hash + ".jpg";
    message.file_url = "http://127.0.0.1:8390/visiongw/images/x.jpg?X-Amz-Signature=ab";
    const std::string version_2 = encode_job_message(message);
    EXPECT_EQ(version_2.rfind(R"({"schema_version":2,)", 0), 0u) << version_2;
    EXPECT_NE(version_2.find(R"("file_path":"s3://visiongw/images/)" + message.file_hash +
                             R"(.jpg","file_url":"http://127.0.0.1:8390/visiongw/images/x.jpg?)"
                             R"(X-Amz-Signature=ab","file_hash":)"),
              std::string::npos)
        << version_2;
    EXPECT_EQ(decode_job_message(version_2), message);
}

TEST(JobMessage, Version2WithoutAFileUrlIsRefused) {
    std::string body = encode_job_message(leaf_job());
    body.replace(body.find("\"schema_version\":1"), 18, "\"schema_version\":2");
    EXPECT_EQ(decode_error(body), "file_url is missing");
}

// `body` with the member `"field":value` (the first one with that key) replaced by `member`, or
// removed when `member` is empty.
std::string with_member(const std::string& body, const std::string& field,
                        const std::string& member) {
    const std::size_t start = body.find("\"" + field + "\":");
    EXPECT_NE(start, std::string::npos) << field;
    std::size_t end = start + field.size() + 3;
    int depth = 0;
    bool in_string = false;
    for (; end < body.size(); ++end) {
        const char c = body[end];
        if (in_string) {
            if (c == '\\')
                ++end;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (depth-- == 0)
                break;
        } else if (c == ',' && depth == 0) {
            break;
        }
    }
    if (!member.empty())
        return body.substr(0, start) + member + body.substr(end);
    // Drop the member and one comma beside it.
    if (body[end] == ',')
        return body.substr(0, start) + body.substr(end + 1);
    return body.substr(0, start - 1) + body.substr(end);
}

TEST(JobMessage, EveryMissingFieldIsRefusedByName) {
    const std::string body = encode_job_message(leaf_job());
    for (const std::string field : {"job_id", "analysis_type", "file_path", "file_hash", "metadata",
                                    "parameters", "timestamp"}) {
        EXPECT_EQ(decode_error(with_member(body, field, "")), field + " is missing");
    }
    for (const std::string field :
         {"format", "width", "height", "size_bytes", "original_filename", "content_type"}) {
        EXPECT_EQ(decode_error(with_member(body, field, "")), "metadata." + field + " is missing");
    }
}

TEST(JobMessage, EmptyOrMistypedFieldsAreRefusedByName) {
    const std::string body = encode_job_message(leaf_job());
    for (const std::string field : {"job_id", "analysis_type", "file_path", "file_hash"}) {
        EXPECT_EQ(decode_error(with_member(body, field, "\"" + field + "\":\"\"")),
                  field + " must not be empty");
        EXPECT_EQ(decode_error(with_member(body, field, "\"" + field + "\":7")),
                  field + " must be a string");
    }
    EXPECT_EQ(decode_error(with_member(body, "timestamp", R"("timestamp":null)")),
              "timestamp is missing");
    EXPECT_EQ(decode_error(with_member(body, "metadata", R"("metadata":"jpeg")")),
              "metadata must be a JSON object");
    EXPECT_EQ(decode_error(with_member(body, "parameters", R"("parameters":[])")),
              "parameters must be a JSON object");
    EXPECT_EQ(decode_error(with_member(body, "format", R"("format":1)")),
              "metadata.format must be a string");
}

TEST(JobMessage, AFileHashThatIsNotLowercaseSha256HexIsRefused) {
    const std::string body = encode_job_message(leaf_job());
    for (const std::string& hash : {std::string(63, 'e'), std::string(65, 'e'),
                                    std::string(64, 'E'), std::string(63, 'e') + "g"}) {
        EXPECT_EQ(decode_error(with_member(body, "file_hash", "\"file_hash\":\"" + hash + "\"")),
                  "file_hash must be 64 lowercase hex digits");
    }
}

TEST(JobMessage, SizesThatAreNotWholeNonNegativeNumbersAreRefused) {
    const std::string body = encode_job_message(leaf_job());
    EXPECT_EQ(decode_error(with_member(body, "size_bytes", R"("size_bytes":-1)")),
              "metadata.size_bytes must be a whole number from 0 to 2^63-1, not -1");
    EXPECT_EQ(decode_error(with_member(body, "size_bytes", R"("size_bytes":1.5)")),
              "metadata.size_bytes must be a whole number");
    EXPECT_EQ(decode_error(with_member(body, "size_bytes", R"("size_bytes":"10")")),
              "metadata.size_bytes must be a whole number");
    EXPECT_EQ(
        decode_error(with_member(body, "size_bytes", R"("size_bytes":18446744073709551615)")),
        "metadata.size_bytes must be a whole number from 0 to 2^63-1, not 18446744073709551615");
    EXPECT_EQ(decode_error(with_member(body, "width", R"("width":-640)")),
              "metadata.width must be a whole number from 0 to 2^63-1, not -640");
}

TEST(JobMessage, ParametersThatAreNotScalarsAreRefused) {
    const std::string body = encode_job_message(leaf_job());
    EXPECT_EQ(decode_error(with_member(body, "parameters", R"("parameters":{"x":{"y":1}})")),
              "parameters.x must be null, a boolean, a number or a string");
    EXPECT_EQ(decode_error(with_member(body, "parameters", R"("parameters":{"x":[1]})")),
              "parameters.x must be null, a boolean, a number or a string");
}

TEST(JobMessage, EveryTruncationIsRefusedCleanly) {
    testing::expect_every_prefix_handled([](const std::string& text) { decode_job_message(text); },
                                         encode_job_message(leaf_job()));
}

}  // namespace
}  // namespace visiongw::protocol
