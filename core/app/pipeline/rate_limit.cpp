#include "app/pipeline/request_steps.h"
#include "http/http_error.h"

namespace visiongw::core {

void take_rate_token(RequestContext& context, RouteAccess access) {
    if (access == RouteAccess::open)
        return;
    HttpCall& call = context.call;
    std::string client = call.identity.key_id.empty()
                             ? "addr:" + call.request.clientAddress().host().toString()
                             : "key:" + call.identity.tenant + "/" + call.identity.key_id;
    RateDecision decision = context.gateway.rate_limiter.take(
        client, access == RouteAccess::submit ? RouteClass::submit : RouteClass::read,
        RateLimiter::Clock::now());
    if (!decision.limited)
        return;
    auto& response = call.response;
    response.set("RateLimit-Limit", std::to_string(decision.limit));
    response.set("RateLimit-Remaining", std::to_string(decision.remaining));
    response.set("RateLimit-Reset", std::to_string(decision.reset_seconds));
    if (decision.allowed)
        return;
    context.gateway.metrics.rate_limited.increment();
    throw HttpError(
        429, "rate_limited",
        "too many requests; retry in " + std::to_string(decision.retry_after_seconds) + " s",
        {{"Retry-After", std::to_string(decision.retry_after_seconds)}});
}

void limit_rate(RequestContext& context, const NextStep& next) {
    take_rate_token(context, context.match.route->access);
    next();
}

}  // namespace visiongw::core
