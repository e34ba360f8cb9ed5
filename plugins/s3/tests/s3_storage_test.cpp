// The s3 storage backend against the test run's real object store (OpenStack Swift, which
// verifies SigV4), checked from outside with awscli.
#include "s3_storage.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>

#include <Poco/NullStream.h>

#include <filesystem>
#include <iterator>
#include <sstream>
#include <thread>

#include "files.h"
#include "object_store.h"
#include "processes.h"

namespace visiongw::s3 {
namespace {

namespace fs = std::filesystem;
using std::chrono::system_clock;
using testing::object_keys;

class DiscardingLog final : public sdk::PluginLog {
public:
    void write(sdk::LogLevel, std::string_view) override {}
};

// `size` bytes that differ with `seed` (the store never looks at the content).
std::string distinct_bytes(std::size_t size, unsigned seed) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        bytes[i] = static_cast<char>((i * 131 + seed * 7919 + i / 251) & 0xFF);
    return bytes;
}

std::string read_all(std::istream& in) {
    return {std::istreambuf_iterator<char>(in), {}};
}

// Each test gets its own key prefix in the test bucket (removed afterwards) and spool folder.
class S3StorageTest : public ::testing::Test {
protected:
    void TearDown() override { testing::remove_objects(prefix_); }

    std::map<std::string, sdk::OptionValue> options(
        const std::map<std::string, sdk::OptionValue>& overrides = {}) const {
        std::map<std::string, sdk::OptionValue> values{
            {"endpoint", testing::s3_endpoint()},
            {"region", std::string("us-east-1")},
            {"bucket", testing::s3_bucket()},
            {"key_prefix", prefix_},
            {"addressing", std::string("path")},
            {"access_key_id", std::string(testing::kS3AccessKey)},
            {"secret_access_key", std::string(testing::kS3SecretKey)},
            {"request_timeout_ms", std::int64_t{2000}},
            {"pool_size", std::int64_t{4}},
            {"presign_seconds", std::int64_t{3600}},
            {"file_ttl_seconds", std::int64_t{3600}},
            {"spool_dir", spool_.string()},
        };
        for (const auto& [name, value] : overrides)
            values[name] = value;
        return values;
    }

    void configure(S3Storage& storage,
                   const std::map<std::string, sdk::OptionValue>& overrides = {}) {
        storage.configure(sdk::PluginConfig("s3", options(overrides)), context_);
    }

    S3Settings settings() const {
        return S3Settings{.endpoint = testing::s3_endpoint(),
                          .region = "us-east-1",
                          .bucket = testing::s3_bucket(),
                          .credentials = {testing::kS3AccessKey, testing::kS3SecretKey}};
    }

    // Uploads `bytes` in two writes and commits them under their own SHA-256.
    static sdk::StoredBlob store(S3Storage& storage, const std::string& bytes) {
        auto writer = storage.begin_write();
        writer->write(bytes.data(), bytes.size() / 2);
        writer->write(bytes.data() + bytes.size() / 2, bytes.size() - bytes.size() / 2);
        return writer->commit(sha256_hex(bytes), "png");
    }

    DiscardingLog log_;
    sdk::PluginContext context_{log_};
    testing::ScratchDir scratch_;
    fs::path spool_ = fs::path(scratch_.path()) / "spool";
    std::string prefix_ = "test-" + testing::unique_suffix() + "/";
};

TEST_F(S3StorageTest, StoresUnderItsSha256KeyAndAnotherClientReadsTheSameBytes) {
    S3Storage storage;
    configure(storage);
    storage.start();
    const std::string bytes = distinct_bytes(300 * 1024, 1);
    const sdk::StoredBlob blob = store(storage, bytes);
    const std::string sha = sha256_hex(bytes);

    EXPECT_EQ(blob.key, sha + ".png");
    EXPECT_EQ(blob.location, "s3://" + testing::s3_bucket() + "/" + prefix_ + sha + ".png");
    EXPECT_EQ(blob.size, bytes.size());
    EXPECT_FALSE(blob.deduplicated);
    EXPECT_EQ(object_keys(prefix_), std::vector<std::string>{prefix_ + blob.key});
    EXPECT_EQ(testing::object_sha256(prefix_ + blob.key), sha);

    const auto stat = storage.stat(blob.key);
    ASSERT_TRUE(stat.has_value());
    EXPECT_EQ(stat->size, bytes.size());
    auto stream = storage.open(blob.key);
    ASSERT_NE(stream, nullptr);
    EXPECT_EQ(read_all(*stream), bytes);
    EXPECT_EQ(storage.open(std::string(64, 'e') + ".png"), nullptr);
    EXPECT_TRUE(fs::is_empty(spool_));
    EXPECT_TRUE(storage.health().ok) << storage.health().detail;
}

TEST_F(S3StorageTest, IdenticalBytesAreStoredOnceAndTheReuseRefreshesTheirTime) {
    S3Storage storage;
    configure(storage);
    const std::string bytes = distinct_bytes(1000, 2);
    const sdk::StoredBlob first = store(storage, bytes);
    const auto stored_at = storage.stat(first.key)->stored_at;
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // S3 times are whole seconds

    const sdk::StoredBlob second = store(storage, bytes);
    EXPECT_TRUE(second.deduplicated);
    EXPECT_EQ(second.key, first.key);
    EXPECT_GT(storage.stat(first.key)->stored_at, stored_at);
    EXPECT_EQ(object_keys(prefix_).size(), 1u);
}

TEST_F(S3StorageTest, AbortedAndRejectedUploadsLeaveNoObjectNoMultipartUploadAndNoSpoolFile) {
    S3Storage storage;
    configure(storage);
    const std::string bytes = distinct_bytes(200 * 1024, 3);
    {
        auto aborted = storage.begin_write();
        aborted->write(bytes.data(), bytes.size());
        aborted->abort();
        auto dropped = storage.begin_write();  // destroyed without commit
        dropped->write(bytes.data(), bytes.size());
        EXPECT_TRUE(fs::is_empty(spool_)) << "a spool file has a name while in use";
    }
    // Bytes that do not hash to their key: the store refuses them (BadDigest), nothing stays.
    auto lying = storage.begin_write();
    lying->write(bytes.data(), bytes.size());
    EXPECT_THROW(lying->commit(std::string(64, 'a'), "png"), sdk::Error);

    EXPECT_TRUE(fs::is_empty(spool_));
    EXPECT_EQ(object_keys(prefix_), std::vector<std::string>{});
    EXPECT_EQ(testing::pending_multipart_uploads(prefix_), 0u);
}

TEST_F(S3StorageTest, ListsExpiredBlobsWithTheTimesStatGivesAndRemovesThem) {
    S3Storage storage;
    configure(storage, {{"file_ttl_seconds", std::int64_t{60}}});
    const sdk::StoredBlob a = store(storage, distinct_bytes(1000, 4));
    const sdk::StoredBlob b = store(storage, distinct_bytes(2000, 5));
    const auto now = system_clock::now();

    EXPECT_TRUE(storage.expired(now).empty());
    const auto expired = storage.expired(now + std::chrono::seconds(120));
    ASSERT_EQ(expired.size(), 2u);
    for (const sdk::BlobStat& blob : expired)  // the janitor compares the two
        EXPECT_EQ(blob.stored_at, storage.stat(blob.key)->stored_at) << blob.key;
    const sdk::StorageStats stats = storage.stats(now + std::chrono::seconds(120));
    EXPECT_EQ(stats.files, 2u);
    EXPECT_EQ(stats.bytes, 3000u);
    EXPECT_EQ(stats.expired_files, 2u);
    EXPECT_FALSE(stats.free_bytes.has_value());

    EXPECT_TRUE(storage.remove(a.key));
    EXPECT_FALSE(storage.remove(a.key));
    EXPECT_EQ(object_keys(prefix_), std::vector<std::string>{prefix_ + b.key});
}

TEST_F(S3StorageTest, WrongCredentialsOrBucketStopStartNamingTheBucketAndTheS3ErrorCode) {
    S3Storage wrong_secret;
    configure(wrong_secret, {{"secret_access_key", std::string("not-the-secret")}});
    try {
        wrong_secret.start();
        FAIL() << "start() accepted a wrong secret";
    } catch (const sdk::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("bucket " + testing::s3_bucket()), std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("SignatureDoesNotMatch"), std::string::npos)
            << e.what();
    }
    const sdk::Health health = wrong_secret.health();
    EXPECT_FALSE(health.ok);
    EXPECT_NE(health.detail.find("SignatureDoesNotMatch"), std::string::npos) << health.detail;

    S3Storage no_bucket;
    configure(no_bucket, {{"bucket", std::string("no-such-bucket-" + testing::unique_suffix())}});
    try {
        no_bucket.start();
        FAIL() << "start() accepted a missing bucket";
    } catch (const sdk::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("NoSuchBucket"), std::string::npos) << e.what();
    }
}

TEST_F(S3StorageTest, AnEndpointThatIsDownOrSilentIsUnavailableWithinTheTimeout) {
    Poco::Net::ServerSocket silent(Poco::Net::SocketAddress("127.0.0.1", 0));  // never answers
    const int down_port = testing::free_port();
    for (const std::string& endpoint :
         {"http://127.0.0.1:" + std::to_string(down_port),
          "http://127.0.0.1:" + std::to_string(silent.address().port())}) {
        S3Storage storage;
        configure(storage, {{"endpoint", endpoint}, {"request_timeout_ms", std::int64_t{500}}});
        EXPECT_NO_THROW(storage.start()) << endpoint << ": left to readiness";
        const auto started = std::chrono::steady_clock::now();
        EXPECT_FALSE(storage.health().ok);
        auto writer = storage.begin_write();
        writer->write("bytes", 5);
        EXPECT_THROW(writer->commit(sha256_hex("bytes"), "png"), sdk::Unavailable) << endpoint;
        EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4)) << endpoint;
        EXPECT_TRUE(fs::is_empty(spool_));
    }
}

TEST_F(S3StorageTest, APresignedUrlServesTheObjectToAPlainHttpClientAndNothingElse) {
    S3Storage storage;
    configure(storage);
    const std::string bytes = distinct_bytes(5000, 6);
    const sdk::StoredBlob blob = store(storage, bytes);
    const S3Client client(settings());
    const std::string url = client.presigned_get_url(prefix_ + blob.key, std::chrono::hours(1));

    auto get = [](const std::string& text) {
        const Poco::URI uri(text);
        Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
        Poco::Net::HTTPRequest request("GET", uri.getPathAndQuery(),
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::string body = read_all(session.receiveResponse(response));
        return std::make_pair(static_cast<int>(response.getStatus()), body);
    };
    EXPECT_EQ(get(url), std::make_pair(200, bytes));
    std::string tampered = url;
    tampered.back() = tampered.back() == '0' ? '1' : '0';
    EXPECT_EQ(get(tampered).first, 403);
}

// An S3 endpoint that answers every request 200 with an empty listing, keeps a connection alive
// and closes it after 100 ms of silence, as stores close idle connections.
class ForgetfulEndpoint {
public:
    ForgetfulEndpoint()
        : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)),
          server_(new Factory, socket_, params()) {
        server_.start();
    }
    ~ForgetfulEndpoint() { server_.stopAll(true); }
    std::string url() const {
        return "http://127.0.0.1:" + std::to_string(socket_.address().port());
    }

private:
    class Handler final : public Poco::Net::HTTPRequestHandler {
        void handleRequest(Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response) override {
            Poco::NullOutputStream discard;
            Poco::StreamCopier::copyStream(request.stream(), discard);
            response.setKeepAlive(true);
            response.setContentLength(0);
            response.send();
        }
    };
    class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
        Poco::Net::HTTPRequestHandler* createRequestHandler(
            const Poco::Net::HTTPServerRequest&) override {
            return new Handler;
        }
    };
    static Poco::Net::HTTPServerParams::Ptr params() {
        Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
        params->setKeepAlive(true);
        params->setKeepAliveTimeout(Poco::Timespan(0, 100 * 1000));
        return params;
    }

    Poco::Net::ServerSocket socket_;
    Poco::Net::HTTPServer server_;
};

// A pooled connection the store closed while idle is replaced, not reported as an outage: the
// request (a PUT with its body too) goes once more on a new connection.
TEST(S3ClientPool, AConnectionTheStoreClosedWhileIdleIsReplaced) {
    ForgetfulEndpoint endpoint;
    S3Client client(S3Settings{.endpoint = endpoint.url(),
                               .region = "us-east-1",
                               .bucket = "b",
                               .credentials = {"k", "s"},
                               .timeout = std::chrono::milliseconds(2000)});
    const std::string bytes = distinct_bytes(100000, 7);
    for (int round = 0; round < 3; ++round) {
        std::istringstream body(bytes);
        const S3Payload payload{body, bytes.size(), sha256_hex(bytes)};
        EXPECT_EQ(client.send("PUT", "key", {}, {}, &payload).status, 200) << round;
        EXPECT_EQ(client.send("HEAD", "key").status, 200) << round;
        std::this_thread::sleep_for(std::chrono::milliseconds(400));  // the store hangs up
        ASSERT_NE(client.open("key"), nullptr) << round;
    }
}

TEST(S3StorageConfig, RefusesMissingCredentialsEndpointsThatAreNotAnOriginAndABadSpool) {
    DiscardingLog log;
    sdk::PluginContext context{log};
    auto config = [](std::string endpoint, std::string key,
                     std::string spool = fs::temp_directory_path().string()) {
        return sdk::PluginConfig("s3", {{"endpoint", endpoint},
                                        {"region", std::string("us-east-1")},
                                        {"bucket", std::string("b")},
                                        {"key_prefix", std::string("")},
                                        {"addressing", std::string("path")},
                                        {"access_key_id", key},
                                        {"secret_access_key", std::string("s")},
                                        {"request_timeout_ms", std::int64_t{1000}},
                                        {"pool_size", std::int64_t{1}},
                                        {"presign_seconds", std::int64_t{3600}},
                                        {"file_ttl_seconds", std::int64_t{3600}},
                                        {"spool_dir", spool}});
    };
    for (const auto& [endpoint, key, why] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {"http://127.0.0.1:9", "", "access_key_id"},
             {"ftp://127.0.0.1:9", "k", "not an http(s) URL"},
             {"http://127.0.0.1:9/bucket", "k", "no path"}}) {
        S3Storage storage;
        try {
            storage.configure(config(endpoint, key), context);
            FAIL() << endpoint << " accepted";
        } catch (const sdk::ConfigError& e) {
            EXPECT_NE(std::string(e.what()).find("[s3] "), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
        }
    }
    S3Storage storage;  // /proc holds no files, named or not
    try {
        storage.configure(config("http://127.0.0.1:9", "k", "/proc"), context);
        FAIL() << "a spool_dir without O_TMPFILE accepted";
    } catch (const sdk::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("spool_dir: cannot create an unnamed file"),
                  std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace visiongw::s3
