#include <cmath>
#include <vector>

#include "app/pipeline/request_steps.h"

namespace visiongw::core {
namespace {

// Milliseconds to the microsecond, as the access log shows them: 0.756, not 0.7563580000000001.
double rounded_to_microsecond(double ms) {
    return std::round(ms * 1000) / 1000;
}

}  // namespace

void write_access_log(RequestContext& context, const NextStep& next) {
    next();
    JsonLog& log = context.gateway.log;
    if (!log.enabled(sdk::LogLevel::info))
        return;
    const HttpCall& call = context.call;
    std::vector<LogField> fields{
        {"request_id", call.request_id},
        {"trace_id", call.trace.span.trace_id},
        {"span_id", call.trace.span.span_id},
        {"method", call.request.getMethod()},
        {"route", call.route},
        {"status", static_cast<int>(call.response.getStatus())},
        {"duration_ms", rounded_to_microsecond(context.elapsed_seconds() * 1000)},
        {"job_id", call.job_id},
        {"tenant", call.identity.tenant}};
    for (const auto& [step, ms] : call.step_ms)
        fields.emplace_back(step, rounded_to_microsecond(ms));
    log.write(sdk::LogLevel::info, "request", fields);
}

}  // namespace visiongw::core
