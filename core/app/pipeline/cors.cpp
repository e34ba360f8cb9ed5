#include <algorithm>

#include "app/pipeline/request_steps.h"

namespace visiongw::core {
namespace {

// Whether [gateway] cors_origins allows the request's Origin; when it does, says so.
bool allow_origin(RequestContext& context) {
    const std::vector<std::string>& allowed = context.gateway.settings.cors_origins;
    if (allowed.empty())
        return false;
    const std::string origin = context.call.request.get("Origin", "");
    if (origin.empty())
        return false;
    const bool any = allowed.front() == "*";
    if (!any && std::find(allowed.begin(), allowed.end(), origin) == allowed.end())
        return false;
    auto& response = context.call.response;
    response.set("Access-Control-Allow-Origin", any ? "*" : origin);
    if (!any)
        response.set("Vary", "Origin");
    response.set("Access-Control-Expose-Headers",
                 "Location, Retry-After, X-Request-ID, RateLimit-Limit, RateLimit-Remaining, "
                 "RateLimit-Reset, traceresponse, Idempotent-Replayed");
    return true;
}

}  // namespace

void allow_cors(RequestContext& context, const NextStep& next) {
    context.cross_origin = allow_origin(context);
    next();
}

}  // namespace visiongw::core
