#include <string>
#include <string_view>

#include "app/pipeline/request_steps.h"

namespace visiongw::core {
namespace {

// The method as a metric label: one of HTTP's own, else "other". Labels come from closed sets
// (this, route templates, status codes), so no request can add a series.
std::string method_label(const std::string& method) {
    static constexpr std::string_view kKnown[] = {"GET",   "HEAD",  "POST",    "PUT",    "DELETE",
                                                  "PATCH", "TRACE", "CONNECT", "OPTIONS"};
    for (std::string_view known : kKnown) {
        if (method == known)
            return std::string(known);
    }
    return "other";
}

}  // namespace

void count_request(RequestContext& context, const NextStep& next) {
    next();
    const HttpCall& call = context.call;
    GatewayMetrics& metrics = context.gateway.metrics;
    const double seconds = context.elapsed_seconds();
    const int status = static_cast<int>(call.response.getStatus());
    metrics.requests
        .with({{"route", call.route},
               {"method", method_label(call.request.getMethod())},
               {"status", std::to_string(status)}})
        .increment();
    metrics.request_seconds.with({{"route", call.route}}).observe(seconds);
    if (status == 202)
        metrics.observe_submit_steps(call.step_ms);
}

}  // namespace visiongw::core
