// W3C trace context end to end: a real visiongw and visiongw-worker on the test RabbitMQ and
// Redis. A client's trace goes through the gateway (its answer, log lines, job record and job
// message) to the worker (its log lines and events), each with a span of its own; an invalid
// header is replaced, never passed on.
#include <set>
#include <sstream>

#include "flow_support.h"

namespace visiongw::testing {
namespace {

using TraceFlowTest = FlowTest;

const std::string kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const std::string kClientSpan = "00f067aa0ba902b7";
const std::string kClientParent = "00-" + kTraceId + "-" + kClientSpan + "-01";

// The fields of a traceparent: version, trace id, span id, flags; empty when it has not the
// form of version 00.
std::vector<std::string> fields_of(const std::string& traceparent) {
    if (traceparent.size() != 55)
        return {};
    return {traceparent.substr(0, 2), traceparent.substr(3, 32), traceparent.substr(36, 16),
            traceparent.substr(53, 2)};
}

std::string log_field(const std::string& name, const std::string& value) {
    return "\"" + name + "\":\"" + value + "\"";
}

HttpAnswer submit_traced(const GatewayProcess& gateway,
                         const std::map<std::string, std::string>& headers) {
    return post_form(gateway.port(), kAnalyzePath, leaf_form(make_png(64, 64, 77)), headers);
}

TEST_F(TraceFlowTest, ClientsTraceReachesTheWorkerWithASpanForEachHop) {
    start_gateway(builtin_worker());
    HttpAnswer answer = submit_traced(
        *gateway_, {{"traceparent", kClientParent}, {"tracestate", "congo=t61rcWkgMzE"}});
    ASSERT_EQ(answer.status, 202) << answer.body;
    const auto gateway_span = fields_of(answer.header("traceresponse"));
    ASSERT_EQ(gateway_span.size(), 4u) << answer.header("traceresponse");
    EXPECT_EQ(gateway_span[1], kTraceId);
    EXPECT_NE(gateway_span[2], kClientSpan) << "the gateway's span is its own";
    EXPECT_EQ(gateway_span[3], "01");
    const std::string job_id = parse_object(answer.body)->getValue<std::string>("job_id");
    EXPECT_EQ(parse_object(answer.body)->getValue<std::string>("trace_id"), kTraceId);

    // The request's log line carries the trace and the gateway's span.
    EXPECT_EQ(
        access_log_lines({log_field("trace_id", kTraceId), log_field("span_id", gateway_span[2]),
                          log_field("route", kAnalyzePath), log_field("job_id", job_id)}),
        1u)
        << logs();

    WorkerProcess& worker = start_worker();
    auto done = wait_for_status(job_id, "completed");
    EXPECT_EQ(done->getValue<std::string>("trace_id"), kTraceId) << "kept in the job record";
    ASSERT_TRUE(worker.wait_for_line("job completed", job_id, 10s)) << logs();

    // Every line the worker wrote about the job carries the trace and one span of the worker's,
    // which is neither the client's nor the gateway's.
    std::set<std::string> worker_spans;
    std::size_t job_lines = 0;
    std::istringstream lines(worker.output());
    for (std::string line; std::getline(lines, line);) {
        if (line.find(log_field("job_id", job_id)) == std::string::npos)
            continue;
        ++job_lines;
        auto record = parse_object(line);
        EXPECT_EQ(record->getValue<std::string>("trace_id"), kTraceId) << line;
        worker_spans.insert(record->getValue<std::string>("span_id"));
    }
    EXPECT_GE(job_lines, 2u) << logs();  // started, completed
    ASSERT_EQ(worker_spans.size(), 1u) << logs();
    const std::string worker_span = *worker_spans.begin();
    EXPECT_EQ(worker_span.size(), 16u);
    EXPECT_NE(worker_span, gateway_span[2]);
    EXPECT_NE(worker_span, kClientSpan);
}

TEST_F(TraceFlowTest, JobMessageCarriesTheGatewaysSpanAndTheTracestate) {
    start_gateway();
    JobQueueReader queue(*gateway_);
    HttpAnswer answer = submit_traced(
        *gateway_, {{"TraceParent", kClientParent}, {"tracestate", "congo=t61rcWkgMzE, rojo=1"}});
    ASSERT_EQ(answer.status, 202) << answer.body;
    const std::string job_id = parse_object(answer.body)->getValue<std::string>("job_id");

    amqp::Delivery message = queue.take(job_id);
    EXPECT_EQ(message.properties.headers["traceparent"], answer.header("traceresponse"));
    EXPECT_EQ(message.properties.headers["tracestate"], "congo=t61rcWkgMzE,rojo=1");
    EXPECT_EQ(fields_of(message.properties.headers["traceparent"])[1], kTraceId);
}

TEST_F(TraceFlowTest, InvalidTraceHeadersAreReplacedAndNeverEchoed) {
    start_gateway();
    JobQueueReader queue(*gateway_);
    // An all-zero trace id is invalid; the tracestate that came with it is dropped with it.
    const std::string invalid = "00-00000000000000000000000000000000-" + kClientSpan + "-01";
    const std::string state = "evil=injected";
    HttpAnswer answer = submit_traced(*gateway_, {{"traceparent", invalid}, {"tracestate", state}});
    ASSERT_EQ(answer.status, 202) << answer.body;
    const std::string job_id = parse_object(answer.body)->getValue<std::string>("job_id");
    const auto started = fields_of(answer.header("traceresponse"));
    ASSERT_EQ(started.size(), 4u);
    EXPECT_NE(started[1], std::string(32, '0'));
    EXPECT_NE(started[2], kClientSpan);

    amqp::Delivery message = queue.take(job_id);
    EXPECT_EQ(message.properties.headers["traceparent"], answer.header("traceresponse"));
    EXPECT_EQ(message.properties.headers.count("tracestate"), 0u);
    EXPECT_EQ(gateway_->output().find(kClientSpan), std::string::npos);
    EXPECT_EQ(gateway_->output().find(state), std::string::npos);
    EXPECT_EQ(answer.body.find(kClientSpan), std::string::npos);

    // Every request continues its caller's trace, a read and a refused one alike.
    HttpAnswer read =
        http_request(gateway_->port(), "GET", job_path(job_id), {{"traceparent", kClientParent}});
    EXPECT_EQ(fields_of(read.header("traceresponse"))[1], kTraceId);
    HttpAnswer refused = http_request(gateway_->port(), "GET", job_path("not-a-job-id"),
                                      {{"traceparent", kClientParent}});
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_EQ(fields_of(refused.header("traceresponse"))[1], kTraceId);
    EXPECT_EQ(access_log_lines({log_field("trace_id", kTraceId), "\"status\":400"}), 1u) << logs();
}

}  // namespace
}  // namespace visiongw::testing
