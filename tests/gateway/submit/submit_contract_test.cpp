// Accepted submits: the 202 answer, the queued message a worker reads, the stored blob, the
// job status document and content deduplication, all as ../shared/API.md describes them.
#include <gtest/gtest.h>

#include <filesystem>

#include "gateway_support.h"
#include "image_bytes.h"

namespace visiongw::testing {
namespace {

using namespace std::string_literals;

class SubmitContractTest : public GatewaySuite {
protected:
    static void SetUpTestSuite() { start_gateway(); }

    // Submits `form`, expects 202 and returns the answer's JSON.
    static Poco::JSON::Object::Ptr accepted(const MultipartBody& form) {
        HttpAnswer answer = submit(gateway(), form);
        EXPECT_EQ(answer.status, 202) << answer.body;
        auto job = parse_object(answer.body);
        EXPECT_EQ(answer.header("location"),
                  "/api/v1/vision/jobs/" + job->getValue<std::string>("job_id"));
        return job;
    }

    static Poco::JSON::Object::Ptr status_of(const std::string& job_id) {
        HttpAnswer answer = http_request(gateway().port(), "GET", "/api/v1/vision/jobs/" + job_id);
        EXPECT_EQ(answer.status, 200) << answer.body;
        return parse_object(answer.body);
    }
};

// An RFC 3339 UTC time stamp like 2026-11-28T17:00:00Z.
void expect_timestamp(const Poco::JSON::Object::Ptr& object, const std::string& name) {
    const std::string value = object->getValue<std::string>(name);
    EXPECT_EQ(value.size(), 20u) << name << " = " << value;
    EXPECT_EQ(value[10], 'T') << name << " = " << value;
    EXPECT_EQ(value.back(), 'Z') << name << " = " << value;
}

void expect_file(const Poco::JSON::Object::Ptr& file, const std::string& image, bool deduplicated) {
    EXPECT_EQ(file->getValue<std::string>("sha256"), sha256_hex(image));
    EXPECT_EQ(file->getValue<std::size_t>("size"), image.size());
    EXPECT_EQ(file->getValue<std::string>("format"), "png");
    EXPECT_EQ(file->getValue<bool>("deduplicated"), deduplicated);
}

TEST_F(SubmitContractTest, QueuedMessageFollowsTheContract) {
    const std::string image = make_png(64, 48, 11);
    const MultipartBody form = MultipartBody()
                                   .field("analysis_type", "disease")
                                   .field("confidence_threshold", "0.75")
                                   .field("return_details", "true")
                                   .file("image", "leaf.png", "image/png", image);
    HttpAnswer answer =
        post_form(gateway().port(), kAnalyzePath, form, {{"X-Request-ID", "submit-contract-1"}});
    ASSERT_EQ(answer.status, 202) << answer.body;
    EXPECT_EQ(answer.header("x-request-id"), "submit-contract-1");
    auto job = parse_object(answer.body);
    const std::string job_id = job->getValue<std::string>("job_id");
    EXPECT_EQ(answer.header("location"), "/api/v1/vision/jobs/" + job_id);
    EXPECT_EQ(job->getValue<std::string>("status"), "queued");
    EXPECT_EQ(job->getValue<std::string>("analysis_type"), "disease");
    expect_file(job->getObject("file"), image, false);
    EXPECT_EQ(job->getObject("file")->getValue<int>("width"), 64);
    EXPECT_EQ(job->getObject("file")->getValue<int>("height"), 48);
    expect_timestamp(job, "created_at");
    EXPECT_EQ(job->getObject("links")->getValue<std::string>("self"),
              "/api/v1/vision/jobs/" + job_id);
    EXPECT_EQ(job->getObject("links")->getValue<std::string>("events"),
              "/api/v1/vision/jobs/" + job_id + "/events");

    JobQueueReader reader(gateway());
    const amqp::Delivery delivery = reader.take(job_id);
    EXPECT_EQ(delivery.properties.delivery_mode, amqp::kPersistent);
    EXPECT_EQ(delivery.properties.content_type, "application/json");
    EXPECT_EQ(delivery.properties.message_id, job_id);
    ASSERT_TRUE(delivery.properties.headers.count("x-request-id"));
    EXPECT_EQ(delivery.properties.headers.at("x-request-id"), answer.header("x-request-id"));

    auto message = parse_object(delivery.body);
    EXPECT_EQ(message->getValue<int>("schema_version"), 1);
    EXPECT_EQ(message->getValue<std::string>("job_id"), job_id);
    EXPECT_EQ(message->getValue<std::string>("analysis_type"), "disease");
    EXPECT_EQ(message->getValue<std::string>("file_hash"), sha256_hex(image));
    EXPECT_EQ(message->getValue<std::string>("timestamp"),
              job->getValue<std::string>("created_at"));

    const std::filesystem::path path = message->getValue<std::string>("file_path");
    const std::filesystem::path root = std::filesystem::canonical(gateway().storage_root());
    EXPECT_TRUE(path.is_absolute()) << path;
    EXPECT_EQ(path.lexically_normal(), path) << "no . or .. in " << path;
    EXPECT_EQ(std::filesystem::canonical(path).string().rfind(root.string() + "/", 0), 0u)
        << path << " is outside the storage root " << root;
    EXPECT_EQ(path.filename().string(), sha256_hex(image) + ".png");
    const std::string stored = read_whole_file(path.string());
    EXPECT_EQ(stored.size(), image.size());
    EXPECT_EQ(sha256_hex(stored), sha256_hex(image));

    auto metadata = message->getObject("metadata");
    EXPECT_EQ(metadata->getValue<std::string>("format"), "png");
    EXPECT_EQ(metadata->getValue<int>("width"), 64);
    EXPECT_EQ(metadata->getValue<int>("height"), 48);
    EXPECT_EQ(metadata->getValue<std::size_t>("size_bytes"), image.size());
    EXPECT_EQ(metadata->getValue<std::string>("original_filename"), "leaf.png");
    EXPECT_EQ(metadata->getValue<std::string>("content_type"), "image/png");

    auto parameters = message->getObject("parameters");
    EXPECT_DOUBLE_EQ(parameters->getValue<double>("confidence_threshold"), 0.75);
    EXPECT_TRUE(parameters->getValue<bool>("return_details"));
    ASSERT_TRUE(parameters->has("custom_prompt"));
    EXPECT_TRUE(parameters->isNull("custom_prompt"));
}

TEST_F(SubmitContractTest, JobStatusHasTheApiShape) {
    const std::string image = make_png(32, 32, 12);
    const std::string job_id = accepted(leaf_form(image))->getValue<std::string>("job_id");
    auto job = status_of(job_id);
    EXPECT_EQ(job->getValue<std::string>("job_id"), job_id);
    EXPECT_EQ(job->getValue<std::string>("status"), "queued");
    EXPECT_EQ(job->getValue<int>("progress"), 0);
    EXPECT_EQ(job->getValue<std::string>("analysis_type"), "pest");
    auto parameters = job->getObject("parameters");
    ASSERT_TRUE(parameters);
    EXPECT_DOUBLE_EQ(parameters->getValue<double>("confidence_threshold"), 0.6);  // [pest]
    EXPECT_FALSE(parameters->getValue<bool>("return_details"));
    ASSERT_TRUE(job->getObject("file"));
    expect_file(job->getObject("file"), image, false);
    expect_timestamp(job, "created_at");
    expect_timestamp(job, "updated_at");
    for (const char* name : {"result", "error"}) {
        ASSERT_TRUE(job->has(name)) << name;
        EXPECT_TRUE(job->isNull(name)) << name;
    }
}

TEST_F(SubmitContractTest, IdenticalUploadsShareOneBlob) {
    const std::string image = make_png(40, 40, 13);
    const Footprint before = footprint_of(gateway());
    auto first = accepted(leaf_form(image));
    auto second = accepted(leaf_form(image));
    EXPECT_NE(first->getValue<std::string>("job_id"), second->getValue<std::string>("job_id"));
    expect_file(first->getObject("file"), image, false);
    expect_file(second->getObject("file"), image, true);
    const Footprint after = footprint_of(gateway());
    EXPECT_EQ(after.files, before.files + 1) << "one blob for both jobs";
    EXPECT_EQ(after.messages, before.messages + 2) << "two queued jobs";
    for (const auto& job : {first, second}) {
        EXPECT_EQ(status_of(job->getValue<std::string>("job_id"))->getValue<std::string>("status"),
                  "queued");
    }
}

TEST_F(SubmitContractTest, FieldsAfterTheImageAreRead) {
    const std::string image = make_png(24, 24, 14);
    auto job = accepted(MultipartBody()
                            .file("image", "leaf.png", "image/png", image)
                            .field("analysis_type", "comprehensive")
                            .field("confidence_threshold", "0.25")
                            .field("custom_prompt", "look for aphids"));
    EXPECT_EQ(job->getValue<std::string>("analysis_type"), "comprehensive");
    auto parameters = status_of(job->getValue<std::string>("job_id"))->getObject("parameters");
    EXPECT_DOUBLE_EQ(parameters->getValue<double>("confidence_threshold"), 0.25);
    EXPECT_EQ(parameters->getValue<std::string>("custom_prompt"), "look for aphids");
}

TEST_F(SubmitContractTest, MagicBytesDecideTheFormatNotTheContentType) {
    const std::string image = make_png(16, 16, 15);
    auto job = accepted(MultipartBody()
                            .field("analysis_type", "pest")
                            .file("image", "leaf.jpg", "image/jpeg", image));
    expect_file(job->getObject("file"), image, false);

    JobQueueReader reader(gateway());
    auto message = parse_object(reader.take(job->getValue<std::string>("job_id")).body);
    EXPECT_EQ(message->getObject("metadata")->getValue<std::string>("format"), "png");
    EXPECT_EQ(message->getObject("metadata")->getValue<std::string>("original_filename"),
              "leaf.jpg");
    EXPECT_EQ(std::filesystem::path(message->getValue<std::string>("file_path")).extension(),
              ".png");
}

// Cameras put hundreds of KiB of EXIF and ICC before a JPEG's frame; libtiff puts IFD0 after
// the pixel data. Both lie past the bytes held before storage starts.
TEST_F(SubmitContractTest, HeadersFarIntoTheImageAreFound) {
    const std::pair<std::string, std::string> images[] = {
        {jpeg_after_metadata(600'000, 4000, 3000), "jpeg"},
        {tiff_with_ifd_after(700'000, 4000, 3000), "tiff"},
    };
    for (const auto& [image, format] : images) {
        auto job = accepted(MultipartBody()
                                .field("analysis_type", "pest")
                                .file("image", "leaf." + format, "image/" + format, image));
        auto file = job->getObject("file");
        EXPECT_EQ(file->getValue<std::string>("format"), format);
        EXPECT_EQ(file->getValue<std::uint32_t>("width"), 4000u) << format;
        EXPECT_EQ(file->getValue<std::uint32_t>("height"), 3000u) << format;
        EXPECT_EQ(file->getValue<std::string>("sha256"), sha256_hex(image)) << format;
        EXPECT_EQ(file->getValue<std::size_t>("size"), image.size()) << format;
    }
}

}  // namespace
}  // namespace visiongw::testing
