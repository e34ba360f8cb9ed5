// The gateway's request handler in-process, with routes of the test's own: whatever a route
// handler throws is answered as the API's JSON error. The Gateway is built from the build's
// real plugins, configured but not started, so no Redis or RabbitMQ is needed.
#include "app/request_handler.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <optional>
#include <sstream>

#include "core_testing.h"

namespace visiongw::testing {
namespace {

using namespace visiongw::core;

IniDocument handler_test_ini(const ScratchDir& scratch) {
    return IniDocument::parse(
        "[plugins]\ndir = " + plugin_dir() + "\n[local]\nroot = " + scratch.file("files") + "\n",
        "handler-test.ini");
}

// A Gateway of the build's real plugins that serves one route of the test's, GET /fail, on a
// free loopback port until stopped.
class RequestHandlerTest : public ::testing::Test {
protected:
    RequestHandlerTest()
        : document_(handler_test_ini(scratch_)),
          settings_(read_gateway_settings(document_, build_dir() + "/bin")),
          log_(log_text_, sdk::LogLevel::info),
          host_(PluginHost::open(settings_.plugin_dir, configured_plugins(settings_))),
          plugins_(host_, document_, settings_, log_),
          gateway_(settings_, log_, registry_, plugins_) {}

    void serve(std::function<void(HttpCall&)> handler) {
        router_.add(Route{"GET", "/fail", RouteAccess::open, std::move(handler)});
        socket_.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true, false);
        socket_.listen();
        server_.emplace(new GatewayRequestHandlerFactory(gateway_, router_), pool_, socket_,
                        new Poco::Net::HTTPServerParams);
        server_->start();
    }

    HttpAnswer get_fail(std::map<std::string, std::string> headers = {}) {
        headers["X-Request-ID"] = "f-1";
        return http_request(socket_.address().port(), "GET", "/fail", headers);
    }

    // Stops serving and waits for every handler thread, so the log is complete.
    void stop() {
        if (!server_)
            return;
        server_->stopAll(true);
        pool_.joinAll();
        server_.reset();
    }

    ~RequestHandlerTest() override { stop(); }

    ScratchDir scratch_;
    IniDocument document_;
    GatewaySettings settings_;
    std::ostringstream log_text_;
    JsonLog log_;
    PluginHost host_;
    PluginSet plugins_;
    MetricsRegistry registry_;
    Gateway gateway_;
    Router router_;
    Poco::ThreadPool pool_{1, 4};
    Poco::Net::ServerSocket socket_;
    std::optional<Poco::Net::HTTPServer> server_;
};

TEST_F(RequestHandlerTest, StdExceptionFromAHandlerIsA500JsonError) {
    serve([](HttpCall&) { throw std::runtime_error("disk on fire"); });
    HttpAnswer answer = get_fail();
    EXPECT_EQ(answer.status, 500);
    EXPECT_EQ(answer.header("content-type"), "application/json");
    EXPECT_EQ(answer.header("x-request-id"), "f-1");
    EXPECT_EQ(answer.body,
              R"({"error":{"code":"internal_error","message":"the gateway failed to handle the )"
              R"(request; see its log for request id f-1","request_id":"f-1"}})");
    stop();
    std::string log = log_text_.str();
    EXPECT_NE(log.find(R"("message":"request failed","request_id":"f-1")"), std::string::npos)
        << log;
    EXPECT_NE(log.find(R"("error":"disk on fire")"), std::string::npos) << log;
}

TEST_F(RequestHandlerTest, UnavailableDependencyIsA503WithRetryAfter) {
    serve([](HttpCall&) { throw sdk::Unavailable("broker down"); });
    HttpAnswer answer = get_fail();
    EXPECT_EQ(answer.status, 503);
    EXPECT_EQ(answer.header("retry-after"), "5");
    EXPECT_EQ(answer.body, R"({"error":{"code":"service_unavailable","message":"broker down",)"
                           R"("request_id":"f-1"}})");
}

// An event stream whose job store goes away after its 200 cannot be answered 503 any more; the
// log says why the answer ended, with its request id.
TEST_F(RequestHandlerTest, AnErrorAfterTheAnswerStartedIsLoggedAsAWarning) {
    serve([](HttpCall& call) {
        call.response.setContentType("text/event-stream");
        call.response.setChunkedTransferEncoding(true);
        call.response.send() << "event: status\ndata: {}\n\n" << std::flush;
        throw sdk::Unavailable("job store down");
    });
    HttpAnswer answer = get_fail();
    EXPECT_EQ(answer.status, 200);
    stop();
    std::string log = log_text_.str();
    EXPECT_NE(log.find(R"("message":"answer cut short after it started","request_id":"f-1",)"
                       R"("code":"service_unavailable","error":"job store down")"),
              std::string::npos)
        << log;
}

// Every log line of a request names its trace and the gateway's span, the one its answer's
// traceresponse carries.
TEST_F(RequestHandlerTest, EveryLogLineOfARequestCarriesItsTraceAndSpan) {
    serve([](HttpCall&) { throw std::runtime_error("disk on fire"); });
    const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    HttpAnswer answer = get_fail({{"traceparent", "00-" + trace_id + "-00f067aa0ba902b7-01"}});
    EXPECT_EQ(answer.status, 500);
    const std::string traceresponse = answer.header("traceresponse");
    ASSERT_EQ(traceresponse.size(), 55u) << traceresponse;
    EXPECT_EQ(traceresponse.substr(3, 32), trace_id);
    const std::string span_id = traceresponse.substr(36, 16);
    EXPECT_NE(span_id, "00f067aa0ba902b7");
    stop();
    std::istringstream log(log_text_.str());
    int lines = 0;
    for (std::string line; std::getline(log, line); ++lines) {
        EXPECT_NE(line.find(R"("trace_id":")" + trace_id + R"(","span_id":")" + span_id + R"(")"),
                  std::string::npos)
            << line;
    }
    EXPECT_EQ(lines, 3);  // "request failed", the 500's warning and the access log's "request"
}

}  // namespace
}  // namespace visiongw::testing
