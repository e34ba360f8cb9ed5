#include <Poco/Net/NetException.h>

#include <vector>

#include "app/error_statuses.h"
#include "app/pipeline/request_steps.h"
#include "http/json_answer.h"

namespace visiongw::core {
namespace {

// A log line of the request: its id, `fields`, then its trace and the gateway's span.
void log_request(RequestContext& context, sdk::LogLevel level, std::string_view message,
                 std::initializer_list<LogField> fields) {
    const HttpCall& call = context.call;
    std::vector<LogField> line{{"request_id", call.request_id}};
    line.insert(line.end(), fields);
    line.insert(line.end(),
                {{"trace_id", call.trace.span.trace_id}, {"span_id", call.trace.span.span_id}});
    context.gateway.log.write(level, message, line);
}

void answer_error(RequestContext& context, const HttpError& error) {
    HttpCall& call = context.call;
    auto& response = call.response;
    if (response.sent()) {
        // The answer (an event stream's 200) has started: the error can only end it, and the
        // access log shows its status, so the log says why it ended.
        log_request(context, sdk::LogLevel::warning, "answer cut short after it started",
                    {{"code", error.code}, {"error", error.what()}});
        return;
    }
    // An unread body would be taken for the next request on this connection.
    if (!call.body_consumed)
        response.setKeepAlive(false);
    if (error.status >= 500) {
        log_request(context, sdk::LogLevel::warning, error.what(), {{"code", error.code}});
    }
    send_error(call, error);
}

}  // namespace

void answer_errors(RequestContext& context, const NextStep& next) {
    HttpCall& call = context.call;
    try {
        next();
    } catch (const HttpError& error) {
        answer_error(context, error);
    } catch (const JobError& error) {
        answer_error(context, http_error_of(error));
    } catch (const sdk::Unavailable& e) {
        answer_error(context, http_error_of(JobError(JobErrorKind::unavailable,
                                                     "service_unavailable", e.what())));
    } catch (const sdk::StorageFull& e) {
        answer_error(context, http_error_of(JobError(JobErrorKind::storage_full,
                                                     "insufficient_storage", e.what())));
    } catch (const Poco::Net::NetException& e) {
        // The client's connection failed mid-request; it can no longer be answered.
        call.body_consumed = true;
        call.response.setKeepAlive(false);
        log_request(context, sdk::LogLevel::info, "client connection lost",
                    {{"error", e.displayText()}});
    } catch (const std::exception& e) {
        log_request(context, sdk::LogLevel::error, "request failed",
                    {{"route", call.route}, {"error", e.what()}});
        answer_error(context, HttpError(500, "internal_error",
                                        "the gateway failed to handle the request; see its log "
                                        "for request id " +
                                            call.request_id));
    }
}

}  // namespace visiongw::core
