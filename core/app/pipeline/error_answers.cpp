#include <Poco/Net/NetException.h>

#include "app/error_statuses.h"
#include "app/pipeline/request_steps.h"
#include "http/json_answer.h"

namespace visiongw::core {
namespace {

void answer_error(RequestContext& context, const HttpError& error) {
    HttpCall& call = context.call;
    auto& response = call.response;
    if (response.sent()) {
        // The answer (an event stream's 200) has started: the error can only end it, and the
        // access log shows its status, so the log says why it ended.
        context.gateway.log.write(
            sdk::LogLevel::warning, "answer cut short after it started",
            {{"request_id", call.request_id}, {"code", error.code}, {"error", error.what()}});
        return;
    }
    // An unread body would be taken for the next request on this connection.
    if (!call.body_consumed)
        response.setKeepAlive(false);
    if (error.status >= 500) {
        context.gateway.log.write(sdk::LogLevel::warning, error.what(),
                                  {{"request_id", call.request_id}, {"code", error.code}});
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
        context.gateway.log.write(sdk::LogLevel::info, "client connection lost",
                                  {{"request_id", call.request_id}, {"error", e.displayText()}});
    } catch (const std::exception& e) {
        context.gateway.log.write(
            sdk::LogLevel::error, "request failed",
            {{"request_id", call.request_id}, {"route", call.route}, {"error", e.what()}});
        answer_error(context, HttpError(500, "internal_error",
                                        "the gateway failed to handle the request; see its log "
                                        "for request id " +
                                            call.request_id));
    }
}

}  // namespace visiongw::core
