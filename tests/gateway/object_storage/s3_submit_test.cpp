// The gateway with `[plugins] storage = s3` on the test run's object store (OpenStack Swift),
// checked from outside with awscli: where a submit puts the image, what a rejected or failed
// submit leaves (nothing), and a start with credentials the store refuses.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <thread>

#include "gateway_support.h"
#include "object_store.h"

namespace visiongw::testing {
namespace {

namespace fs = std::filesystem;

// Each test has its own key prefix (removed afterwards) and spool folder.
class S3SubmitTest : public ::testing::Test {
protected:
    void TearDown() override { remove_objects(prefix_); }

    std::map<std::string, std::string> sections(const std::string& endpoint,
                                                const std::string& extra_s3 = "") const {
        return {
            {"plugins", "storage = s3\n"},
            {"s3",
             "endpoint = " + endpoint + "\nbucket = " + s3_bucket() + "\nkey_prefix = " + prefix_ +
                 "\naccess_key_id = " + kS3AccessKey + "\nsecret_access_key = " + kS3SecretKey +
                 "\nrequest_timeout_ms = 2000\nspool_dir = " + spool_.string() + "\n" + extra_s3}};
    }

    ScratchDir scratch_;
    fs::path spool_ = fs::path(scratch_.path()) / "spool";
    std::string prefix_ = "gwtest-" + unique_suffix() + "/";
};

// Sends the first half of the form, calls `midway`, sends the rest and reads the answer.
HttpAnswer submit_with_pause(const GatewayProcess& gateway, const MultipartBody& form,
                             const std::function<void()>& midway) {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(gateway.port()));
    Poco::Net::HTTPRequest request("POST", kAnalyzePath, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType(form.content_type());
    const std::string body = form.str();
    request.setContentLength64(static_cast<Poco::Int64>(body.size()));
    std::ostream& out = session.sendRequest(request);
    out.write(body.data(), static_cast<std::streamsize>(body.size() / 2));
    out.flush();
    midway();
    out.write(body.data() + body.size() / 2,
              static_cast<std::streamsize>(body.size() - body.size() / 2));
    out.flush();
    return receive_answer(session);
}

TEST_F(S3SubmitTest, TheImageIsStoredOnceUnderItsSha256KeyAndItsBytesHashToIt) {
    GatewayProcess gateway(sections(s3_endpoint()));
    gateway.start();
    const std::string image = make_png(64, 48, 7);
    const HttpAnswer first = submit(gateway, leaf_form(image));
    ASSERT_EQ(first.status, 202) << first.body;
    const auto file = parse_object(first.body)->getObject("file");
    const std::string sha = file->getValue<std::string>("sha256");
    EXPECT_FALSE(file->getValue<bool>("deduplicated"));

    const HttpAnswer second = submit(gateway, leaf_form(image));
    ASSERT_EQ(second.status, 202) << second.body;
    EXPECT_TRUE(parse_object(second.body)->getObject("file")->getValue<bool>("deduplicated"));

    EXPECT_EQ(object_keys(prefix_), std::vector<std::string>{prefix_ + sha + ".png"});
    EXPECT_EQ(object_sha256(prefix_ + sha + ".png"), sha);
    EXPECT_TRUE(fs::is_empty(spool_));
}

TEST_F(S3SubmitTest, AnUploadRefusedMidStreamLeavesNoObjectNoMultipartUploadNoRecord) {
    GatewayProcess gateway({{"plugins", "storage = s3\n"},
                            {"s3", sections(s3_endpoint()).at("s3")},
                            {"upload", "max_file_size = 100000\n"}});
    gateway.start();
    const HttpAnswer answer =
        submit_chunked(gateway, leaf_form(make_png(400, 400, 8) + std::string(200000, 'x')));
    expect_error(answer, 413, "file_too_large");
    EXPECT_EQ(gateway.redis_keys(), 0u);
    EXPECT_EQ(gateway.queue_depth(), 0u);
    EXPECT_EQ(object_keys(prefix_), std::vector<std::string>{});
    EXPECT_EQ(pending_multipart_uploads(prefix_), 0u);
    EXPECT_TRUE(fs::is_empty(spool_));
}

TEST_F(S3SubmitTest, AnEndpointKilledMidUploadAnswers503AndRollsEverythingBack) {
    DisposableS3Endpoint endpoint;
    GatewayProcess gateway(sections(endpoint.url()));
    gateway.start();
    const std::size_t keys_before = gateway.redis_keys();
    const HttpAnswer answer =
        submit_with_pause(gateway, leaf_form(make_png(300, 300, 9)), [&] { endpoint.kill(); });
    expect_error(answer, 503, "service_unavailable");
    EXPECT_FALSE(answer.header("retry-after").empty());
    EXPECT_EQ(gateway.redis_keys(), keys_before);
    EXPECT_EQ(gateway.queue_depth(), 0u);
    EXPECT_EQ(object_keys(prefix_), std::vector<std::string>{});
    EXPECT_TRUE(fs::is_empty(spool_));

    const HttpAnswer ready = http_request(gateway.port(), "GET", "/health/ready");
    EXPECT_EQ(ready.status, 503) << ready.body;
    EXPECT_NE(ready.body.find("bucket " + s3_bucket() + " at " + endpoint.url()), std::string::npos)
        << ready.body;
}

TEST_F(S3SubmitTest, StatsListTheBucketAndCleanupRemovesExpiredObjectsNoUnfinishedJobUses) {
    GatewayProcess gateway(sections(s3_endpoint(), "file_ttl_seconds = 1\n"));
    gateway.start();
    auto submitted = [&](unsigned seed) {
        const HttpAnswer answer = submit(gateway, leaf_form(make_png(20, 20, seed)));
        EXPECT_EQ(answer.status, 202) << answer.body;
        return parse_object(answer.body);
    };
    const auto finished = submitted(31);
    const auto waiting = submitted(32);  // no worker: stays queued
    const std::string finished_id = finished->getValue<std::string>("job_id");
    publish_worker_event(gateway, R"({"schema_version":1,"job_id":")" + finished_id +
                                      R"(","event":"completed","result":{}})");
    ASSERT_TRUE(eventually(
        [&] {
            return parse_object(http_request(gateway.port(), "GET", job_path(finished_id)).body)
                       ->getValue<std::string>("status") == "completed";
        },
        std::chrono::seconds(10)));
    std::this_thread::sleep_for(std::chrono::milliseconds(2200));  // S3 times are whole seconds

    const HttpAnswer stats = http_request(gateway.port(), "GET", "/api/v1/vision/files/stats");
    ASSERT_EQ(stats.status, 200) << stats.body;
    const auto backend = parse_object(stats.body)->getArray("backends")->getObject(0);
    EXPECT_EQ(backend->getValue<std::string>("name"), "s3");
    EXPECT_EQ(backend->getValue<int>("files"), 2) << stats.body;
    EXPECT_EQ(backend->getValue<int>("expired_files"), 2) << stats.body;
    EXPECT_TRUE(backend->isNull("free_bytes")) << stats.body;

    const HttpAnswer cleanup = http_request(gateway.port(), "POST", "/api/v1/vision/files/cleanup");
    ASSERT_EQ(cleanup.status, 200) << cleanup.body;
    EXPECT_EQ(parse_object(cleanup.body)->getValue<int>("removed_files"), 1) << cleanup.body;
    EXPECT_EQ(parse_object(cleanup.body)->getValue<int>("kept_files"), 1) << cleanup.body;
    EXPECT_EQ(object_keys(prefix_),
              std::vector<std::string>{
                  prefix_ + waiting->getObject("file")->getValue<std::string>("sha256") + ".png"});
}

// A bucket the gateway may read but not write (Swift's read-only user on a public-read
// bucket): the refused PUT is a 503 naming the S3 error in the log, never a 500, and leaves
// nothing behind.
TEST_F(S3SubmitTest, ABucketThatRefusesWritesAnswers503AndLeavesNothing) {
    const std::string bucket = "vgw-readonly-" + unique_suffix();
    ASSERT_EQ(aws_s3api("create-bucket --bucket " + bucket).status, 0);
    const CommandRun acl = aws_s3api("put-bucket-acl --bucket " + bucket + " --acl public-read");
    ASSERT_EQ(acl.status, 0) << acl.output;
    auto sections_for_reader = sections(s3_endpoint());
    sections_for_reader["s3"] =
        "endpoint = " + s3_endpoint() + "\nbucket = " + bucket + "\nkey_prefix = " + prefix_ +
        "\naccess_key_id = " + kS3ReaderAccessKey + "\nsecret_access_key = " + kS3ReaderSecretKey +
        "\nspool_dir = " + spool_.string() + "\n";
    GatewayProcess gateway(sections_for_reader);
    gateway.start();
    const std::size_t keys_before = gateway.redis_keys();
    const HttpAnswer answer = submit(gateway, leaf_form(make_png(64, 64, 10)));
    expect_error(answer, 503, "service_unavailable");
    EXPECT_FALSE(answer.header("retry-after").empty());
    EXPECT_NE(gateway.output().find("AccessDenied"), std::string::npos) << gateway.output();
    EXPECT_EQ(gateway.redis_keys(), keys_before);
    EXPECT_EQ(gateway.queue_depth(), 0u);
    EXPECT_TRUE(fs::is_empty(spool_));
    const CommandRun listing = aws_s3api("list-objects-v2 --bucket " + bucket);
    EXPECT_EQ(listing.output.find(prefix_), std::string::npos) << listing.output;
    aws_s3api("delete-bucket --bucket " + bucket);
}

TEST_F(S3SubmitTest, CredentialsTheStoreRefusesStopStartNamingTheBucketAndTheErrorCode) {
    GatewayProcess gateway(sections(s3_endpoint(), "secret_access_key = not-the-secret\n"));
    try {
        gateway.start();
        FAIL() << "the gateway started with a wrong secret";
    } catch (const std::runtime_error& e) {
        const std::string output = e.what();
        EXPECT_NE(output.find("bucket " + s3_bucket()), std::string::npos) << output;
        EXPECT_NE(output.find("SignatureDoesNotMatch"), std::string::npos) << output;
    }
}

}  // namespace
}  // namespace visiongw::testing
