// The worker side of the gateway end to end: a real visiongw, real visiongw-worker processes,
// the test RabbitMQ and Redis. Jobs are submitted and followed through the gateway's HTTP API.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <thread>

#include "event_stream.h"
#include "flow_support.h"
#include "vision_service.h"

namespace visiongw::testing {
namespace {

using WorkerFlowTest = FlowTest;

std::string events_path(const std::string& id) {
    return job_path(id) + "/events";
}

Poco::JSON::Object::Ptr job_of(const ServerEvent& event) {
    return parse_object(event.data);
}

std::string status_of(const ServerEvent& event) {
    return job_of(event)->getValue<std::string>("status");
}

// A `completed` event as a worker would send it.
std::string completed_event(const std::string& id) {
    return R"({"schema_version":1,"job_id":")" + id +
           R"(","event":"completed","result":{"labels":["late"]},"worker_id":"worker-flow-test",)"
           R"("timestamp":"2026-01-01T00:00:00Z"})";
}

TEST_F(WorkerFlowTest, BuiltinWorkerCompletesAJobAndItsStreamShowsEveryStateInOrder) {
    start_gateway(builtin_worker());
    const std::string id = submit(1, 512);
    EventStream stream(gateway_->port(), events_path(id));
    ASSERT_EQ(stream.status(), 200);
    EXPECT_EQ(stream.response().getContentType(), "text/event-stream");
    auto first = stream.next();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->name, "status");
    EXPECT_EQ(status_of(*first), "queued");

    start_worker();
    auto stored = wait_for_status(id, "completed");
    // Read once the job is done (it was sent as it happened): a stream that never closed
    // would otherwise hang the test, since keep-alive comments defeat the read timeout.
    std::vector<ServerEvent> events{*first};
    for (auto& event : stream.rest())
        events.push_back(std::move(event));

    std::vector<std::string> statuses;
    int progress = 0;
    for (const auto& event : events) {
        EXPECT_EQ(event.name, "status");
        statuses.push_back(status_of(event));
        EXPECT_GE(job_of(event)->getValue<int>("progress"), progress) << event.data;
        progress = job_of(event)->getValue<int>("progress");
    }
    statuses.erase(std::unique(statuses.begin(), statuses.end()), statuses.end());
    EXPECT_EQ(statuses, (std::vector<std::string>{"queued", "processing", "completed"})) << logs();
    auto streamed = job_of(events.back());
    EXPECT_EQ(streamed->getValue<int>("progress"), 100);

    EXPECT_TRUE(stored->isNull("error"));
    EXPECT_EQ(stored->getObject("result")->getValue<std::string>("analyzer"), "builtin-demo");
    EXPECT_EQ(json_text(stored->get("result")), json_text(streamed->get("result")));

    // A finished job's stream is its state once, then the end.
    EventStream replay(gateway_->port(), events_path(id));
    auto replayed = replay.rest();
    ASSERT_EQ(replayed.size(), 1u);
    EXPECT_EQ(json_text(job_of(replayed[0])), json_text(stored));
}

TEST_F(WorkerFlowTest, JobCancelledBeforeAnyWorkerExistsIsNeverAnalysed) {
    start_gateway(builtin_worker());
    const std::string cancelled_id = submit(2);
    HttpAnswer answer = cancel(cancelled_id);
    ASSERT_EQ(answer.status, 200) << answer.body;
    auto cancelled = parse_object(answer.body);
    ASSERT_EQ(cancelled->getValue<std::string>("status"), "cancelled");

    WorkerProcess& worker = start_worker();
    ASSERT_TRUE(worker.wait_for_line("cancelled before it started: skipped", cancelled_id, 15s))
        << logs();
    // The worker's events reach the gateway in order: once a later job completed, anything
    // the worker said about the cancelled one was folded in (and logged if dropped).
    const std::string later_id = submit(3);
    wait_for_status(later_id, "completed");

    auto after = job(cancelled_id);
    EXPECT_EQ(json_text(after), json_text(cancelled));  // same status, progress, updated_at
    EXPECT_EQ(count_lines(worker.output(), {"job started", cancelled_id}), 0u) << logs();
    EXPECT_EQ(gateway_lines({"worker event", cancelled_id}), 0u) << logs();
    EXPECT_EQ(gateway_->queue_depth(), 0u);
}

// The job is kept running by a vision service that holds its request until the test lets
// it answer.
TEST_F(WorkerFlowTest, RunningJobCancelledStopsAndALateCompletedDoesNotChangeIt) {
    VisionService service([](int) {
        return ServiceReply{200, R"({"labels":["too late"]})", true};
    });
    start_gateway(http_worker(service.url()));
    WorkerProcess& worker = start_worker();
    const std::string id = submit(4);
    ASSERT_TRUE(service.wait_for_requests(1, 15s)) << logs();
    wait_for_status(id, "processing");

    HttpAnswer answer = cancel(id);
    ASSERT_EQ(answer.status, 200) << answer.body;
    // A running job sees its cancellation within a second; the http analyzer looks only when
    // its call returns, so the service answers after that second.
    std::this_thread::sleep_for(1500ms);
    service.release();
    ASSERT_TRUE(worker.wait_for_line("cancelled while running: stopped", id, 15s)) << logs();
    EXPECT_EQ(service.requests(), 1);
    EXPECT_EQ(count_lines(worker.output(), {"job completed", id}), 0u) << logs();

    BrokerClient(gateway_->topology()).publish_event(completed_event(id));
    const auto dropped = [&] {
        return gateway_lines({"late or duplicate worker event 'completed' dropped", id});
    };
    ASSERT_TRUE(eventually([&] { return dropped() > 0; }, 10s)) << logs();
    EXPECT_EQ(dropped(), 1u) << "the worker sent a completed of its own:\n" << logs();
    auto after = job(id);
    EXPECT_EQ(after->getValue<std::string>("status"), "cancelled");
    EXPECT_TRUE(after->isNull("result"));
}

TEST_F(WorkerFlowTest, JobOfAKilledWorkerIsRedeliveredToAnotherAndCompletedOnce) {
    // The first request (the first worker's) hangs; the next one answers at once.
    VisionService service([](int index) {
        return ServiceReply{200, R"({"labels":["leaf"],"request":)" + std::to_string(index) + "}",
                            index == 0};
    });
    start_gateway(http_worker(service.url()));
    WorkerProcess& first = start_worker();
    const std::string id = submit(5);
    EventStream stream(gateway_->port(), events_path(id));
    ASSERT_TRUE(service.wait_for_requests(1, 15s)) << logs();
    wait_for_status(id, "processing");

    const int killed = first.stop(SIGKILL);
    EXPECT_TRUE(WIFSIGNALED(killed) && WTERMSIG(killed) == SIGKILL);
    WorkerProcess& second = start_worker();

    auto done = wait_for_status(id, "completed");
    auto events = stream.rest();
    EXPECT_EQ(
        std::count_if(events.begin(), events.end(),
                      [](const ServerEvent& event) { return status_of(event) == "completed"; }),
        1)
        << logs();
    EXPECT_EQ(done->getObject("result")->getValue<int>("request"), 1);
    EXPECT_EQ(service.requests(), 2);
    EXPECT_TRUE(second.wait_for_line("job completed", id, 5s)) << logs();
    EXPECT_EQ(count_lines(first.output(), {"job completed", id}), 0u) << logs();
    EXPECT_EQ(gateway_lines({"late or duplicate worker event", id}), 0u) << logs();
}

TEST_F(WorkerFlowTest, ExpiredJobMessageIsDeadLetteredAndTheJobFailed) {
    start_gateway({{"rabbitmq", "message_ttl_ms = 500\n"}});
    const std::string id = submit(6);  // no worker takes it
    auto failed = wait_for_status(id, "failed", 15s);
    auto error = failed->getObject("error");
    EXPECT_EQ(error->getValue<std::string>("code"), "dead_lettered");
    EXPECT_NE(error->getValue<std::string>("message").find("expired"), std::string::npos)
        << json_text(error);
}

TEST_F(WorkerFlowTest, JobMessageAWorkerCannotUseIsDeadLetteredAndTheJobFailed) {
    start_gateway(builtin_worker());
    const std::string id = submit(7);
    BrokerClient broker(gateway_->topology());
    ASSERT_NE(broker.take_job().find(id), std::string::npos);  // its real message is gone
    broker.publish_job(id, "this is not a job message");

    WorkerProcess& worker = start_worker();
    auto failed = wait_for_status(id, "failed");
    auto error = failed->getObject("error");
    EXPECT_EQ(error->getValue<std::string>("code"), "dead_lettered");
    EXPECT_NE(error->getValue<std::string>("message").find("rejected"), std::string::npos)
        << json_text(error);
    EXPECT_EQ(count_lines(worker.output(), {"unusable job message, dead-lettering it"}), 1u)
        << logs();
}

TEST_F(WorkerFlowTest, EventStreamOfAnUnknownJobIsA404JsonError) {
    start_gateway();
    EventStream stream(gateway_->port(), events_path("3f0c2a4e-8b1d-4c6e-9f7a-0123456789ab"));
    EXPECT_EQ(stream.status(), 404);
    EXPECT_EQ(stream.response().getContentType().rfind("application/json", 0), 0u);
    auto error = parse_object(stream.body())->getObject("error");
    EXPECT_EQ(error->getValue<std::string>("code"), "job_not_found");
}

TEST_F(WorkerFlowTest, EventStreamOfAFinishedJobSendsOneEventAndCloses) {
    start_gateway();
    const std::string id = submit(8);
    ASSERT_EQ(cancel(id).status, 200);
    EventStream stream(gateway_->port(), events_path(id));
    ASSERT_EQ(stream.status(), 200);
    auto events = stream.rest();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].name, "status");
    EXPECT_EQ(json_text(job_of(events[0])), json_text(job(id)));
}

// EventSource reconnects with the last id it saw: a client that has the final state gets 204
// (which stops EventSource reconnecting), one that has the current state is not sent it again,
// and one with an older id gets the current state first.
TEST_F(WorkerFlowTest, EventStreamResumesFromLastEventId) {
    start_gateway();
    const std::string id = submit(9);
    std::string queued_id;
    {
        EventStream stream(gateway_->port(), events_path(id));
        auto first = stream.next();
        ASSERT_TRUE(first);
        EXPECT_EQ(status_of(*first), "queued");
        queued_id = first->id;
        ASSERT_FALSE(queued_id.empty());
    }

    EventStream resumed(gateway_->port(), events_path(id), queued_id);
    ASSERT_EQ(resumed.status(), 200);
    ASSERT_EQ(cancel(id).status, 200);
    auto events = resumed.rest();
    ASSERT_EQ(events.size(), 1u) << "the queued state again, or more than the change";
    EXPECT_EQ(status_of(events[0]), "cancelled");
    EXPECT_NE(events[0].id, queued_id);

    EventStream finished(gateway_->port(), events_path(id), events[0].id);
    EXPECT_EQ(finished.status(), 204);
    EXPECT_EQ(finished.body(), "");

    EventStream stale(gateway_->port(), events_path(id), queued_id);
    ASSERT_EQ(stale.status(), 200);
    auto replayed = stale.rest();
    ASSERT_EQ(replayed.size(), 1u);
    EXPECT_EQ(status_of(replayed[0]), "cancelled");
    EXPECT_EQ(replayed[0].id, events[0].id);
}

}  // namespace
}  // namespace visiongw::testing
