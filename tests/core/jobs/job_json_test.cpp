// The job texts are assembled by hand: they must parse back to exactly what went in, whatever
// a client put in its filename or prompt.
#include "jobs/job_json.h"

#include <gtest/gtest.h>

#include "json_object.h"

namespace visiongw::core {
namespace {

using visiongw::testing::parse_object;

const std::string kAwkward = "a \"quoted\" \\ back\\slash, tab\t, newline\n, \x01 and caf\xc3\xa9";

ReceivedUpload upload_of_leaf() {
    ReceivedUpload upload;
    upload.sha256 = std::string(64, 'e');
    upload.size = 123456789012;
    upload.image = ImageInfo{ImageFormat::webp, 4000, 3000};
    upload.original_filename = kAwkward;
    return upload;
}

TEST(JobJson, ParametersKeepTheirTypesAndAnyText) {
    const std::map<std::string, sdk::ParamValue> parameters{{"confidence_threshold", 0.6},
                                                            {"return_details", true},
                                                            {"custom_prompt", kAwkward},
                                                            {"unset", sdk::ParamValue{}}};
    auto object = parse_object(parameters_json(parameters));
    EXPECT_EQ(object->getValue<double>("confidence_threshold"), 0.6);
    EXPECT_TRUE(object->getValue<bool>("return_details"));
    EXPECT_EQ(object->getValue<std::string>("custom_prompt"), kAwkward);
    EXPECT_TRUE(object->isNull("unset"));
    EXPECT_EQ(parameters_json({}), "{}");
}

TEST(JobJson, FileObjectCarriesTheFacts) {
    auto file = parse_object(file_json(upload_of_leaf(), true));
    EXPECT_EQ(file->getValue<std::string>("sha256"), std::string(64, 'e'));
    EXPECT_EQ(file->getValue<std::uint64_t>("size"), 123456789012u);
    EXPECT_EQ(file->getValue<std::string>("format"), "webp");
    EXPECT_EQ(file->getValue<int>("width"), 4000);
    EXPECT_EQ(file->getValue<int>("height"), 3000);
    EXPECT_TRUE(file->getValue<bool>("deduplicated"));
}

TEST(JobJson, QueueMessageParsesBackToItsFields) {
    sdk::JobRecord record;
    record.id = "0b7a5d0e-5d1c-4c1a-9d35-3f0a3c4c9e11";
    record.analysis_type = "disease";
    record.created_at = "2026-11-28T21:00:00Z";
    auto message = parse_object(job_message_json(
        record, upload_of_leaf(), "/srv/files/ee/ee/x.webp", {{"confidence_threshold", 0.25}}));
    EXPECT_EQ(message->getValue<int>("schema_version"), 1);
    EXPECT_EQ(message->getValue<std::string>("job_id"), record.id);
    EXPECT_EQ(message->getValue<std::string>("analysis_type"), "disease");
    EXPECT_EQ(message->getValue<std::string>("file_path"), "/srv/files/ee/ee/x.webp");
    EXPECT_EQ(message->getValue<std::string>("file_hash"), std::string(64, 'e'));
    EXPECT_EQ(message->getValue<std::string>("timestamp"), record.created_at);
    auto metadata = message->getObject("metadata");
    EXPECT_EQ(metadata->getValue<std::string>("format"), "webp");
    EXPECT_EQ(metadata->getValue<int>("width"), 4000);
    EXPECT_EQ(metadata->getValue<int>("height"), 3000);
    EXPECT_EQ(metadata->getValue<std::uint64_t>("size_bytes"), 123456789012u);
    EXPECT_EQ(metadata->getValue<std::string>("original_filename"), kAwkward);
    EXPECT_EQ(metadata->getValue<std::string>("content_type"), "image/webp");
    EXPECT_EQ(message->getObject("parameters")->getValue<double>("confidence_threshold"), 0.25);
}

// A client's filename need not be UTF-8; the message must stay valid JSON for every worker.
TEST(JobJson, BytesThatAreNotUtf8BecomeReplacementCharacters) {
    ReceivedUpload upload = upload_of_leaf();
    upload.original_filename = "leaf\xff\xfe.jpg";
    auto message = parse_object(job_message_json(sdk::JobRecord{}, upload, "/f", {}));
    EXPECT_EQ(message->getObject("metadata")->getValue<std::string>("original_filename"),
              "leaf\xEF\xBF\xBD\xEF\xBF\xBD.jpg");
}

}  // namespace
}  // namespace visiongw::core
