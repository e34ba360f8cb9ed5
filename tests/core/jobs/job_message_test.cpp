// The job message the gateway publishes: every field of the job, readable by any worker
// whatever a client put in its filename or prompt.
#include "jobs/job_message.h"

#include <gtest/gtest.h>

#include "json_object.h"

namespace visiongw::core {
namespace {

using visiongw::testing::parse_object;

const std::string kAwkward = "is it \"rust\"? \\ tab\t, newline\n, \x01 and caf\xc3\xa9";

ReceivedUpload webp_upload(std::string filename) {
    ReceivedUpload upload;
    upload.sha256 = std::string(64, 'e');
    upload.size = 123456789012;
    upload.image = ImageInfo{ImageFormat::webp, 4000, 3000};
    upload.original_filename = std::move(filename);
    return upload;
}

sdk::JobRecord disease_job() {
    sdk::JobRecord record;
    record.id = "0b7a5d0e-5d1c-4c1a-9d35-3f0a3c4c9e11";
    record.analysis_type = "disease";
    record.created_at = "2026-11-28T21:00:00Z";
    return record;
}

const sdk::StoredBlob kLocalBlob{.key = std::string(64, 'e') + ".webp",
                                 .location = "/srv/files/ee/ee/x.webp",
                                 .size = 123456789012u,
                                 .deduplicated = false,
                                 .url = {}};

std::string message_text(const ReceivedUpload& upload,
                         const std::map<std::string, sdk::ParamValue>& parameters,
                         const sdk::StoredBlob& blob = kLocalBlob) {
    return protocol::encode_job_message(job_message_of(disease_job(), upload, blob, parameters));
}

TEST(JobMessage, QueueMessageParsesBackToItsFields) {
    auto message = parse_object(message_text(
        webp_upload(kAwkward), {{"confidence_threshold", 0.25}, {"custom_prompt", kAwkward}}));
    EXPECT_EQ(message->getValue<int>("schema_version"), 1);
    EXPECT_EQ(message->getValue<std::string>("job_id"), disease_job().id);
    EXPECT_EQ(message->getValue<std::string>("analysis_type"), "disease");
    EXPECT_EQ(message->getValue<std::string>("file_path"), "/srv/files/ee/ee/x.webp");
    EXPECT_EQ(message->getValue<std::string>("file_hash"), std::string(64, 'e'));
    EXPECT_EQ(message->getValue<std::string>("timestamp"), disease_job().created_at);
    auto metadata = message->getObject("metadata");
    EXPECT_EQ(metadata->getValue<std::string>("format"), "webp");
    EXPECT_EQ(metadata->getValue<int>("width"), 4000);
    EXPECT_EQ(metadata->getValue<int>("height"), 3000);
    EXPECT_EQ(metadata->getValue<std::uint64_t>("size_bytes"), 123456789012u);
    EXPECT_EQ(metadata->getValue<std::string>("original_filename"), kAwkward);
    EXPECT_EQ(metadata->getValue<std::string>("content_type"), "image/webp");
    EXPECT_EQ(message->getObject("parameters")->getValue<double>("confidence_threshold"), 0.25);
    EXPECT_EQ(message->getObject("parameters")->getValue<std::string>("custom_prompt"), kAwkward);
}

// What a worker decodes is what the gateway knew of the job.
TEST(JobMessage, WorkersDecodeTheJobAsTheGatewayKnewIt) {
    const std::map<std::string, sdk::ParamValue> parameters{
        {"confidence_threshold", 0.25}, {"return_details", true}, {"custom_prompt", kAwkward}};
    const ReceivedUpload upload = webp_upload("leaf.webp");
    EXPECT_EQ(protocol::decode_job_message(message_text(upload, parameters)),
              job_message_of(disease_job(), upload, kLocalBlob, parameters));
}

// A blob an object store holds travels as its location and a URL any host can fetch
// (schema_version 2); a local one has no URL and stays schema_version 1 (above).
TEST(JobMessage, AnObjectStoreBlobTravelsAsLocationAndUrl) {
    sdk::StoredBlob blob = kLocalBlob;
    blob.location = "s3://visiongw/images/" + blob.key;
    blob.url = "https://s3.example/visiongw/images/" + blob.key + "?X-Amz-Signature=00";
    auto message = parse_object(message_text(webp_upload("leaf.webp"), {}, blob));
    EXPECT_EQ(message->getValue<int>("schema_version"), 2);
    EXPECT_EQ(message->getValue<std::string>("file_path"), blob.location);
    EXPECT_EQ(message->getValue<std::string>("file_url"), blob.url);
    EXPECT_FALSE(parse_object(message_text(webp_upload("leaf.webp"), {}))->has("file_url"));
}

// A client's filename need not be UTF-8; the message must stay valid JSON for every worker.
TEST(JobMessage, BytesThatAreNotUtf8BecomeReplacementCharacters) {
    auto message = parse_object(message_text(webp_upload("leaf\xff\xfe.jpg"), {}));
    EXPECT_EQ(message->getObject("metadata")->getValue<std::string>("original_filename"),
              "leaf\xEF\xBF\xBD\xEF\xBF\xBD.jpg");
}

}  // namespace
}  // namespace visiongw::core
