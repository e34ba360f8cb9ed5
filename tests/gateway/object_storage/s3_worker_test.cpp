// Workers on any host: with `storage = s3` the job message carries a presigned URL, which a
// plain HTTP client can fetch, and a reference worker that shares nothing with the gateway (its
// own storage root, empty; no credentials) completes the job.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gateway_support.h"
#include "object_store.h"
#include "worker_process.h"

namespace visiongw::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class S3WorkerTest : public ::testing::Test {
protected:
    void SetUp() override {
        gateway_ = std::make_unique<GatewayProcess>(std::map<std::string, std::string>{
            {"plugins", "storage = s3\n"},
            {"s3", "endpoint = " + s3_endpoint() + "\nbucket = " + s3_bucket() + "\nkey_prefix = " +
                       prefix_ + "\naccess_key_id = " + kS3AccessKey + "\nsecret_access_key = " +
                       kS3SecretKey + "\nspool_dir = " + scratch_.file("spool") + "\n"}});
        gateway_->start();
    }
    void TearDown() override { remove_objects(prefix_); }

    // Submits a distinct PNG; returns the 202's job.
    Poco::JSON::Object::Ptr submit_leaf(unsigned seed) {
        const HttpAnswer answer = submit(*gateway_, leaf_form(make_png(64, 64, seed)));
        EXPECT_EQ(answer.status, 202) << answer.body;
        return parse_object(answer.body);
    }

    ScratchDir scratch_;
    std::string prefix_ = "gwworker-" + unique_suffix() + "/";
    std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(S3WorkerTest, TheJobMessageCarriesAPresignedUrlAPlainHttpClientCanFetch) {
    auto job = submit_leaf(21);
    const std::string id = job->getValue<std::string>("job_id");
    const std::string sha = job->getObject("file")->getValue<std::string>("sha256");
    JobQueueReader reader(*gateway_);
    const auto message = parse_object(reader.take(id).body);
    EXPECT_EQ(message->getValue<int>("schema_version"), 2);
    EXPECT_EQ(message->getValue<std::string>("file_path"),
              "s3://" + s3_bucket() + "/" + prefix_ + sha + ".png");

    const Poco::URI url(message->getValue<std::string>("file_url"));
    Poco::Net::HTTPClientSession session(url.getHost(), url.getPort());
    Poco::Net::HTTPRequest request("GET", url.getPathAndQuery(), Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& body = session.receiveResponse(response);
    const std::string file = scratch_.file("fetched");
    std::ofstream out(file, std::ios::binary);
    Poco::StreamCopier::copyStream(body, out);
    out.close();
    EXPECT_EQ(response.getStatus(), Poco::Net::HTTPResponse::HTTP_OK);
    const std::string line = command_output("sha256sum " + shell_quote(file));
    EXPECT_EQ(line.substr(0, line.find(' ')), sha);
}

TEST_F(S3WorkerTest, AWorkerThatSharesNoFolderWithTheGatewayCompletesTheJob) {
    // The worker's own ini: the broker's section of the gateway's, and a storage root of its
    // own that stays empty. No [s3] section, no credentials.
    const std::string gateway_ini = read_whole_file(gateway_->ini_path());
    const std::size_t section = gateway_ini.find("[rabbitmq]");
    ASSERT_NE(section, std::string::npos) << gateway_ini;
    const std::string rabbitmq =
        gateway_ini.substr(section, gateway_ini.find('[', section + 1) - section);
    const fs::path own_root = fs::path(scratch_.path()) / "worker-root";
    fs::create_directories(own_root);
    const std::string worker_ini =
        scratch_.write("worker.ini", rabbitmq +
                                         "\n[worker]\nanalyzer = builtin\n"
                                         "storage_root = " +
                                         own_root.string() + "\n");
    WorkerProcess worker(worker_ini, scratch_.file("worker.log"));

    const std::string id = submit_leaf(22)->getValue<std::string>("job_id");
    Poco::JSON::Object::Ptr job;
    const bool done = eventually(
        [&] {
            job = parse_object(http_request(gateway_->port(), "GET", job_path(id)).body);
            const std::string status = job->getValue<std::string>("status");
            return status == "completed" || status == "failed";
        },
        30s);
    ASSERT_TRUE(done) << "job still " << job->getValue<std::string>("status") << "\n"
                      << worker.output();
    std::ostringstream shown;
    job->stringify(shown);
    EXPECT_EQ(job->getValue<std::string>("status"), "completed") << shown.str() << "\n"
                                                                 << worker.output();
    EXPECT_EQ(job->getObject("result")->getValue<std::string>("analyzer"), "builtin-demo");
    EXPECT_TRUE(fs::is_empty(own_root));
}

}  // namespace
}  // namespace visiongw::testing
