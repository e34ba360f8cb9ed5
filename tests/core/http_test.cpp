// HTTP behaviour of a real visiongw process (needs the test Redis and RabbitMQ): error shape,
// request ids, health, and a second gateway on the same port.
#include <Poco/JSON/Parser.h>
#include <Poco/Util/Application.h>
#include <gtest/gtest.h>

#include "core_testing.h"

namespace visiongw::testing {
namespace {

// Whether `text` is a random (version 4) UUID in lower-case text form. (No std::regex: GCC 12
// warns inside it under the sanitizers.)
bool is_uuid(const std::string& text) {
    if (text.size() != 36 || text[14] != '4')
        return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = text[i];
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

// The `error` object of an API error answer.
Poco::JSON::Object::Ptr error_of(const HttpAnswer& answer) {
    auto body = Poco::JSON::Parser().parse(answer.body).extract<Poco::JSON::Object::Ptr>();
    return body->getObject("error");
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
