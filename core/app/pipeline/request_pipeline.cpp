#include "app/pipeline/request_pipeline.h"

#include "app/pipeline/request_steps.h"

namespace visiongw::core {
namespace {

// The steps of every request, outermost first. The first three act once the later ones are
// done (and so see the final answer); from answer_errors on, whatever a step throws is
// answered as the API's JSON error.
constexpr RequestStep kRequestSteps[] = {
    count_request,              // metrics of the answered request
    write_access_log,           // its access log line
    drain_unread_body,          // after an early answer, what is left of the body
    answer_errors,              // exceptions as JSON errors
    note_unread_body,           // whether a body is there to read
    allow_cors,                 // CORS headers for an allowed Origin
    match_route,                // the route of method and path
    answer_preflight,           // a CORS preflight: answered here
    refuse_unrouted,            // 404 or 405
    identify_caller,            // 401 or 403 when auth is on
    limit_rate,                 // 429
    refuse_announced_oversize,  // 413 before the body is read
    run_route_handler,          // the route's own handler
};

}  // namespace

void run_request_steps(RequestContext& context) {
    NextStep(kRequestSteps, context)();
}

}  // namespace visiongw::core
