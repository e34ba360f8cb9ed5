// HTTP behaviour of a real visiongw process (needs the test Redis and RabbitMQ): error shape,
// request ids, health, and a second gateway on the same port.
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Util/Application.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "gateway_process.h"
#include "json_object.h"
#include "uuid_check.h"

namespace visiongw::testing {
namespace {

// Sends `requests` (raw HTTP, the last one with Connection: close) at once on one connection
// and returns everything the gateway answered until it closed the connection.
std::string send_pipelined(int port, const std::string& requests) {
    Poco::Net::StreamSocket socket(
        Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
    socket.setReceiveTimeout(Poco::Timespan(20, 0));
    socket.sendBytes(requests.data(), static_cast<int>(requests.size()));
    std::string answers;
    char buffer[4096];
    for (int received; (received = socket.receiveBytes(buffer, sizeof buffer)) > 0;)
        answers.append(buffer, static_cast<std::size_t>(received));
    return answers;
}

// The status codes of the answers in `answers`, in order.
std::vector<int> statuses_of(const std::string& answers) {
    std::vector<int> statuses;
    for (auto at = answers.find("HTTP/1.1 "); at != std::string::npos;
         at = answers.find("HTTP/1.1 ", at + 1)) {
        statuses.push_back(std::stoi(answers.substr(at + 9, 3)));
    }
    return statuses;
}

std::string raw_request(const std::string& method, const std::string& path,
                        const std::string& body = "", const std::string& content_type = "",
                        bool last = false) {
    std::string head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!content_type.empty())
        head += "Content-Type: " + content_type + "\r\n";
    if (!body.empty())
        head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    if (last)
        head += "Connection: close\r\n";
    return head + "\r\n" + body;
}

// The `error` object of an API error answer.
Poco::JSON::Object::Ptr error_of(const HttpAnswer& answer) {
    return parse_object(answer.body)->getObject("error");
}

class GatewayHttpTest : public ::testing::Test {
protected:
    void SetUp() override { gateway_.start(); }

    HttpAnswer send(const std::string& method, const std::string& path,
                    const std::map<std::string, std::string>& headers = {}) const {
        return http_request(gateway_.port(), method, path, headers);
    }

    GatewayProcess gateway_;
};

TEST_F(GatewayHttpTest, HealthAnswers) {
    HttpAnswer answer = send("GET", "/health");
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(answer.body, R"({"status":"ok"})");
    EXPECT_TRUE(is_uuid(answer.header("x-request-id"))) << answer.header("x-request-id");
}

TEST_F(GatewayHttpTest, UnknownRouteIsA404JsonError) {
    HttpAnswer answer = send("GET", "/no/such/route", {{"X-Request-ID", "trace-404"}});
    EXPECT_EQ(answer.status, 404);
    EXPECT_EQ(answer.header("content-type"), "application/json");
    EXPECT_EQ(answer.header("x-request-id"), "trace-404");
    auto error = error_of(answer);
    EXPECT_EQ(error->getValue<std::string>("code"), "not_found");
    EXPECT_EQ(error->getValue<std::string>("message"), "no route /no/such/route");
    EXPECT_EQ(error->getValue<std::string>("request_id"), "trace-404");
}

TEST_F(GatewayHttpTest, WrongMethodIsA405WithAllow) {
    HttpAnswer answer = send("GET", "/api/v1/vision/analyze", {{"X-Request-ID", "trace-405"}});
    EXPECT_EQ(answer.status, 405);
    EXPECT_EQ(answer.header("allow"), "POST");
    EXPECT_EQ(answer.header("content-type"), "application/json");
    auto error = error_of(answer);
    EXPECT_EQ(error->getValue<std::string>("code"), "method_not_allowed");
    EXPECT_EQ(error->getValue<std::string>("message"),
              "GET is not allowed on /api/v1/vision/analyze; allowed: POST");
    EXPECT_EQ(error->getValue<std::string>("request_id"), "trace-405");
}

TEST_F(GatewayHttpTest, SaneRequestIdsAreEchoed) {
    for (const std::string& id : {std::string("client-1.2_3:4"), std::string(128, 'a')}) {
        SCOPED_TRACE(id);
        EXPECT_EQ(send("GET", "/health", {{"X-Request-ID", id}}).header("x-request-id"), id);
    }
}

TEST_F(GatewayHttpTest, MissingOrInsaneRequestIdsAreReplacedByAUuid) {
    for (const std::string& id :
         {std::string(), std::string(129, 'a'), std::string("has space"), std::string("semi;colon"),
          std::string("<script>"), std::string("caf\xc3\xa9")}) {
        SCOPED_TRACE(id);
        std::map<std::string, std::string> headers;
        if (!id.empty())
            headers["X-Request-ID"] = id;
        HttpAnswer answer = send("GET", "/no/such/route", headers);
        std::string chosen = answer.header("x-request-id");
        EXPECT_TRUE(is_uuid(chosen)) << chosen;
        EXPECT_EQ(error_of(answer)->getValue<std::string>("request_id"), chosen);
    }
}

TEST_F(GatewayHttpTest, EveryAnswerCarriesARequestId) {
    for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/health"},
             {"GET", "/openapi.json"},
             {"GET", "/nowhere"},
             {"DELETE", "/health"},
             {"GET", "/api/v1/vision/jobs/00000000-0000-4000-8000-000000000000"}}) {
        SCOPED_TRACE(method + " " + path);
        HttpAnswer answer = send(method, path);
        EXPECT_TRUE(is_uuid(answer.header("x-request-id"))) << answer.status;
    }
}

// A body is read up to its declared length and no further, whether Poco holds all of it already
// with the request after it (a small one) or the gateway reads it from the socket (a large one).
TEST_F(GatewayHttpTest, SubmitsPipelinedOnOneConnectionAreAllAnswered) {
    for (int width : {2, 300}) {
        SCOPED_TRACE(std::to_string(width) + " pixels wide");
        MultipartBody form;
        form.field("analysis_type", "pest")
            .file("image", "leaf.png", "image/png", make_png(width, 200, 7));
        const std::string submit =
            raw_request("POST", "/api/v1/vision/analyze", form.str(), form.content_type());
        const std::string answers = send_pipelined(
            gateway_.port(), submit + submit + raw_request("GET", "/health", "", "", true));
        EXPECT_EQ(statuses_of(answers), (std::vector<int>{202, 202, 200})) << answers;
        EXPECT_TRUE(answers.ends_with(R"({"status":"ok"})")) << answers;
    }
}

// Named threads, so that top -H, perf and gdb tell them apart.
TEST_F(GatewayHttpTest, ThreadsAreNamedForWhatTheyDo) {
    std::multiset<std::string> names;
    const auto tasks = std::filesystem::path("/proc") / std::to_string(gateway_.pid()) / "task";
    for (const auto& task : std::filesystem::directory_iterator(tasks)) {
        std::ifstream comm(task.path() / "comm");
        std::string name;
        std::getline(comm, name);
        names.insert(name);
    }
    EXPECT_GE(names.count("vgw-http"), 1u);  // start() polled /health on one
    for (const char* name : {"vgw-publisher", "vgw-events", "vgw-janitor"})
        EXPECT_EQ(names.count(name), 1u) << name;
}

TEST_F(GatewayHttpTest, SecondGatewayOnTheSamePortIsRefused) {
    ScratchDir scratch;
    GatewayRun second = run_gateway(scratch, "--config=" + gateway_.ini_path());
    EXPECT_EQ(second.status, Poco::Util::Application::EXIT_CONFIG);
    EXPECT_TRUE(second.err.starts_with(
        "visiongw: cannot listen on 127.0.0.1:" + std::to_string(gateway_.port()) + ": "))
        << second.err;
    EXPECT_EQ(send("GET", "/health").status, 200);
}

}  // namespace
}  // namespace visiongw::testing
