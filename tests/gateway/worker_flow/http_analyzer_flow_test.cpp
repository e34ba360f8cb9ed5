// The reference worker's `http` analyzer end to end: a job submitted to the gateway, analysed by
// a visiongw-worker that calls a vision service running inside the test, and how each kind of
// answer of that service ends the job.
#include "flow_support.h"
#include "vision_service.h"

namespace visiongw::testing {
namespace {

constexpr int kMaxRetries = 2;
constexpr const char* kLabels = R"({"labels":["aphid"],"confidence":0.91})";

struct HttpCase {
    const char* name;
    VisionService::Script script;
    const char* status;        // how the job ends
    const char* outcome;       // completed: the result's JSON; failed: the error code
    const char* message_part;  // failed: a part of the error message
    int requests;              // the calls the service gets
};

const HttpCase kCases[] = {
    {"Success",
     [](int) -> ServiceReply {
         return {200, kLabels};
     },
     "completed", kLabels, "", 1},
    {"ServerErrorThenSuccess",
     [](int index) -> ServiceReply {
         return index == 0 ? ServiceReply{503, "{}"} : ServiceReply{200, kLabels};
     },
     "completed", kLabels, "", 2},
    {"ServerErrorEveryTime",
     [](int) -> ServiceReply {
         return {500, R"({"detail":"model crashed"})"};
     },
     "failed", "vision_service_error", "answered 500", kMaxRetries + 1},
    {"ClientError",
     [](int) -> ServiceReply {
         return {400, R"({"detail":"bad image"})"};
     },
     "failed", "vision_service_error", "answered 400", 1},
    {"NoAnswerInTime",
     [](int) -> ServiceReply {
         return {200, kLabels, true};
     },
     "failed", "timeout", "did not answer within", kMaxRetries + 1},
    {"MalformedJson",
     [](int) -> ServiceReply {
         return {200, "<html>not json</html>"};
     },
     "failed", "malformed_response", "not a JSON object", 1},
};

// How gtest names a case in test listings and failure messages.
void PrintTo(const HttpCase& given, std::ostream* out) {
    *out << given.name;
}

class HttpAnalyzerFlowTest : public FlowTest, public ::testing::WithParamInterface<HttpCase> {};

TEST_P(HttpAnalyzerFlowTest, JobEndsAsTheVisionServiceAnswers) {
    const HttpCase& given = GetParam();
    VisionService service(given.script);
    start_gateway(
        http_worker(service.url(), "max_retries = " + std::to_string(kMaxRetries) +
                                       "\nretry_backoff_ms = 50\nhttp_timeout_ms = 500\n"));
    WorkerProcess& worker = start_worker();
    const unsigned seed = 11;
    const int size = 64;
    const std::string id = submit(seed, size);

    auto done = wait_for_status(id, given.status);
    EXPECT_EQ(service.requests(), given.requests) << logs();
    EXPECT_EQ(count_lines(worker.output(), {"retrying in", id}),
              static_cast<std::size_t>(given.requests - 1))
        << logs();
    if (std::string(given.status) == "completed") {
        EXPECT_EQ(json_text(done->get("result")), json_text(parse_object(given.outcome)));
        EXPECT_TRUE(done->isNull("error"));
    } else {
        auto error = done->getObject("error");
        EXPECT_EQ(error->getValue<std::string>("code"), given.outcome);
        EXPECT_NE(error->getValue<std::string>("message").find(given.message_part),
                  std::string::npos)
            << json_text(error);
        EXPECT_TRUE(done->isNull("result"));
    }
    // Every call carried the analysis type and the stored image itself.
    const std::string image = make_png(size, size, seed);
    for (const auto& body : service.bodies()) {
        EXPECT_NE(body.find("name=\"analysis_type\"\r\n\r\npest\r\n"), std::string::npos);
        EXPECT_NE(body.find(image), std::string::npos);
    }
}

INSTANTIATE_TEST_SUITE_P(Answers, HttpAnalyzerFlowTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<HttpCase>& info) {
                             return std::string(info.param.name);
                         });

}  // namespace
}  // namespace visiongw::testing
