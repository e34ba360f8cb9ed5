#include "object_store.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "eventually.h"

#include "files.h"
#include "test_services.h"

namespace visiongw::testing {

std::string s3_endpoint() {
    return required_env("VISIONGW_TEST_S3_ENDPOINT");
}

std::string s3_bucket() {
    return required_env("VISIONGW_TEST_S3_BUCKET");
}

CommandRun aws_cli(const std::string& arguments) {
    return run_capturing(std::string("AWS_ACCESS_KEY_ID=") + shell_quote(kS3AccessKey) +
                         " AWS_SECRET_ACCESS_KEY=" + kS3SecretKey +
                         " AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null"
                         " AWS_SHARED_CREDENTIALS_FILE=/dev/null /usr/bin/aws --endpoint-url " +
                         s3_endpoint() + " " + arguments + " --output text 2>&1");
}

CommandRun aws_s3api(const std::string& arguments) {
    return aws_cli("s3api " + arguments);
}

namespace {

// The whitespace-separated words of awscli's text output, "None" (nothing) dropped.
std::vector<std::string> words(const CommandRun& run, const std::string& what) {
    if (run.status != 0)
        throw std::runtime_error(what + " failed: " + run.output);
    std::vector<std::string> out;
    std::istringstream in(run.output);
    for (std::string word; in >> word;) {
        if (word != "None")
            out.push_back(word);
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

std::vector<std::string> object_keys(const std::string& prefix) {
    return words(aws_s3api("list-objects --bucket " + s3_bucket() + " --prefix " +
                           shell_quote(prefix) + " --query 'Contents[].Key'"),
                 "listing " + prefix);
}

std::size_t pending_multipart_uploads(const std::string& prefix) {
    return words(aws_s3api("list-multipart-uploads --bucket " + s3_bucket() + " --prefix " +
                           shell_quote(prefix) + " --query 'Uploads[].UploadId'"),
                 "listing the multipart uploads of " + prefix)
        .size();
}

std::string object_sha256(const std::string& key) {
    ScratchDir scratch;
    const std::string file = scratch.file("object");
    if (aws_s3api("get-object --bucket " + s3_bucket() + " --key " + shell_quote(key) + " " +
                  shell_quote(file))
            .status != 0) {
        return "";
    }
    const std::string line = command_output("sha256sum " + shell_quote(file));
    return line.substr(0, line.find(' '));
}

void remove_objects(const std::string& prefix) {
    aws_cli("s3 rm --recursive --quiet " + shell_quote("s3://" + s3_bucket() + "/" + prefix));
}

DisposableS3Endpoint::DisposableS3Endpoint() : port_(free_port()) {
    const std::string conf_path = required_env("VISIONGW_TEST_SWIFT_PROXY_CONF");
    std::ifstream in(conf_path);
    std::stringstream conf;
    conf << in.rdbuf();
    if (conf.str().empty())
        throw std::runtime_error("cannot read the Swift proxy configuration " + conf_path);
    std::string own = conf.str();
    const std::string kBindPort = "bind_port = ";
    const std::size_t value = own.find(kBindPort);
    if (value == std::string::npos)
        throw std::runtime_error("no bind_port in the Swift proxy configuration " + conf_path);
    const std::size_t digits = value + kBindPort.size();
    own.replace(digits, own.find_first_not_of("0123456789", digits) - digits,
                std::to_string(port_));
    const std::string path = scratch_.write("proxy.conf", own);
    pid_ = spawn_logged({"/usr/bin/swift-proxy-server", path, "-v"}, {"PATH=/usr/bin:/bin"},
                        scratch_.file("proxy.log"));
    const bool up = eventually(
        [&] {
            try {
                Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port_));
                Poco::Net::HTTPRequest request("GET", "/info");
                session.sendRequest(request);
                Poco::Net::HTTPResponse response;
                session.receiveResponse(response);
                return response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK;
            } catch (const Poco::Exception&) {
                return false;
            }
        },
        std::chrono::seconds(30));
    if (!up) {
        kill();
        throw std::runtime_error("the disposable Swift proxy did not answer on port " +
                                 std::to_string(port_) + ": " + scratch_.read("proxy.log"));
    }
}

DisposableS3Endpoint::~DisposableS3Endpoint() {
    kill();
}

void DisposableS3Endpoint::kill() {
    if (pid_ <= 0)
        return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

}  // namespace visiongw::testing
