#include "http_analyzer.h"

#include <gtest/gtest.h>

#include "fake_context.h"
#include "vision_service.h"

namespace visiongw::worker::testing {
namespace {

using namespace std::chrono_literals;
using reference::HttpAnalyzer;
using reference::HttpAnalyzerSettings;
using visiongw::testing::ServiceReply;
using visiongw::testing::VisionService;

std::string written_leaf_png(const ScratchDir& dir) {
    std::string path = dir.file("leaf.png");
    write_png(path, 8, 8, kLeafGreen);
    return path;
}

class HttpAnalyzerTest : public ::testing::Test {
protected:
    HttpAnalyzerTest() {
        context_.mutable_job().parameters->set("confidence_threshold", 0.6);
        context_.mutable_job().parameters->set("return_details", true);
        context_.mutable_job().parameters->set("custom_prompt", "what is wrong with it?");
    }

    AnalysisError failure_of(const HttpAnalyzer& analyzer) {
        try {
            analyzer(context_);
        } catch (const AnalysisError& e) {
            return e;
        }
        throw std::runtime_error("the analyzer did not fail");
    }

    ScratchDir dir_;
    FakeContext context_{job_for_file(written_leaf_png(dir_), "pest")};
};

TEST_F(HttpAnalyzerTest, PostsTheImageAndParametersAndReturnsTheServiceResult) {
    VisionService vision([](int) {
        return ServiceReply{200, R"({"pests": [{"name": "aphid", "confidence": 0.9}]})"};
    });
    HttpAnalyzer analyzer(HttpAnalyzerSettings{vision.url(), "", 2000ms});

    Poco::JSON::Object::Ptr result = analyzer(context_);

    ASSERT_TRUE(result->has("pests"));
    ASSERT_EQ(vision.bodies().size(), 1u);
    const std::string form = vision.bodies()[0];
    EXPECT_NE(form.find("name=\"image\"; filename=\"leaf.png\""), std::string::npos) << form;
    EXPECT_NE(form.find("\x89PNG"), std::string::npos);
    EXPECT_NE(form.find("name=\"analysis_type\"\r\n\r\npest"), std::string::npos);
    EXPECT_NE(form.find("name=\"confidence_threshold\"\r\n\r\n0.6"), std::string::npos);
    EXPECT_NE(form.find("name=\"return_details\"\r\n\r\ntrue"), std::string::npos);
}

TEST_F(HttpAnalyzerTest, ComprehensiveAlsoAsksTheLlmService) {
    VisionService vision([](int) { return ServiceReply{200, R"({"labels": 3})"}; });
    VisionService llm([](int) { return ServiceReply{200, R"({"text": "fine"})"}; });
    context_.mutable_job().analysis_type = "comprehensive";
    const std::string traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01";
    context_.mutable_job().traceparent = traceparent;
    context_.mutable_job().tracestate = "congo=t61rcWkgMzE";
    HttpAnalyzer analyzer(HttpAnalyzerSettings{vision.url(), llm.url("/llm"), 2000ms});

    Poco::JSON::Object::Ptr result = analyzer(context_);

    EXPECT_EQ(result->getObject("vision")->getValue<int>("labels"), 3);
    EXPECT_EQ(result->getObject("llm")->getValue<std::string>("text"), "fine");
    ASSERT_EQ(llm.bodies().size(), 1u);
    EXPECT_EQ(llm.bodies()[0], R"({"prompt":"what is wrong with it?","vision":{"labels":3}})");
    // Both calls go on with the job's trace, from the worker's span.
    const std::pair<std::string, std::string> trace{traceparent, "congo=t61rcWkgMzE"};
    EXPECT_EQ(vision.trace_headers(), (std::vector{trace}));
    EXPECT_EQ(llm.trace_headers(), (std::vector{trace}));
}

TEST_F(HttpAnalyzerTest, ServerErrorIsRetryable) {
    VisionService vision([](int) { return ServiceReply{503, R"({"busy": 1})"}; });
    AnalysisError error = failure_of(HttpAnalyzer(HttpAnalyzerSettings{vision.url(), "", 2000ms}));
    EXPECT_EQ(error.code(), "vision_service_error");
    EXPECT_TRUE(error.retryable());
    EXPECT_NE(std::string(error.what()).find("503"), std::string::npos) << error.what();
}

TEST_F(HttpAnalyzerTest, ClientErrorIsNotRetryable) {
    VisionService vision([](int) { return ServiceReply{422, R"({"bad": 1})"}; });
    AnalysisError error = failure_of(HttpAnalyzer(HttpAnalyzerSettings{vision.url(), "", 2000ms}));
    EXPECT_EQ(error.code(), "vision_service_error");
    EXPECT_FALSE(error.retryable());
}

TEST_F(HttpAnalyzerTest, SlowServiceTimesOutRetryably) {
    VisionService vision(
        [](int) { return ServiceReply{.status = 200, .body = "{}", .delay = 1500ms}; });
    auto started = std::chrono::steady_clock::now();
    AnalysisError error = failure_of(HttpAnalyzer(HttpAnalyzerSettings{vision.url(), "", 300ms}));
    EXPECT_EQ(error.code(), "timeout");
    EXPECT_TRUE(error.retryable());
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1200ms);
}

TEST_F(HttpAnalyzerTest, MalformedJsonIsNotRetryable) {
    VisionService vision([](int) { return ServiceReply{200, "<html>oops"}; });
    AnalysisError error = failure_of(HttpAnalyzer(HttpAnalyzerSettings{vision.url(), "", 2000ms}));
    EXPECT_EQ(error.code(), "malformed_response");
    EXPECT_FALSE(error.retryable());
    EXPECT_NE(std::string(error.what()).find("not a JSON object"), std::string::npos);
}

TEST_F(HttpAnalyzerTest, UnreachableServiceIsRetryable) {
    std::string url;
    {
        VisionService gone([](int) { return ServiceReply{}; });
        url = gone.url();
    }
    AnalysisError error = failure_of(HttpAnalyzer(HttpAnalyzerSettings{url, "", 2000ms}));
    EXPECT_EQ(error.code(), "vision_service_error");
    EXPECT_TRUE(error.retryable());
}

TEST(HttpAnalyzerSettingsTest, RejectsUrlsThatAreNotHttp) {
    EXPECT_THROW(HttpAnalyzer(HttpAnalyzerSettings{"ftp://host/x", "", 1000ms}),
                 std::invalid_argument);
    EXPECT_THROW(HttpAnalyzer(HttpAnalyzerSettings{"http://host/x", "nonsense", 1000ms}),
                 std::invalid_argument);
}

}  // namespace
}  // namespace visiongw::worker::testing
