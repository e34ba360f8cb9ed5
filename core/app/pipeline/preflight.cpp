#include "app/pipeline/request_steps.h"

namespace visiongw::core {

void answer_preflight(RequestContext& context, const NextStep& next) {
    const auto& request = context.call.request;
    const RouteMatch& match = context.match;
    if (match.route != nullptr || !context.cross_origin || match.allowed.empty() ||
        request.getMethod() != Poco::Net::HTTPRequest::HTTP_OPTIONS ||
        !request.has("Access-Control-Request-Method")) {
        next();
        return;
    }
    context.call.route = "preflight";
    std::string allow;
    for (const auto& method : match.allowed)
        allow += (allow.empty() ? "" : ", ") + method;
    auto& response = context.call.response;
    response.set("Access-Control-Allow-Methods", allow);
    response.set(
        "Access-Control-Allow-Headers",
        "Authorization, Content-Type, Idempotency-Key, Last-Event-ID, X-API-Key, X-Request-ID, "
        "traceparent, tracestate");
    response.set("Access-Control-Max-Age", "600");
    response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NO_CONTENT);
    response.setContentLength(0);
    response.send();
}

}  // namespace visiongw::core
