// Every step of the request pipeline, each defined in the file named for it; the order they
// run in is declared in request_pipeline.cpp.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>

#include <cstdint>

#include "app/pipeline/request_context.h"

namespace visiongw::core {

// request_metrics.cpp: after the request, counts it by route, method and status, observes its
// latency, and an accepted submit's time in each SubmitStep.
void count_request(RequestContext& context, const NextStep& next);

// access_log.cpp: after the request, writes its access log line (at level info).
void write_access_log(RequestContext& context, const NextStep& next);

// unread_body.cpp: notes whether the request has a body not read yet, and after an early
// answer reads and drops what is left of it, so the client sees the answer instead of a reset.
void note_unread_body(RequestContext& context, const NextStep& next);
void drain_unread_body(RequestContext& context, const NextStep& next);

// error_answers.cpp: answers whatever the later steps throw as the API's JSON error (a dead
// client connection is only logged), so no exception escapes unanswered.
void answer_errors(RequestContext& context, const NextStep& next);

// cors.cpp: when [gateway] cors_origins allows the request's Origin, the answer (error or not)
// says so and exposes the headers a client reads.
void allow_cors(RequestContext& context, const NextStep& next);

// routing.cpp: finds the route of the method and path; refuses a path without one (404) or a
// method the path does not have (405); runs the route's handler as the last step.
void match_route(RequestContext& context, const NextStep& next);
void refuse_unrouted(RequestContext& context, const NextStep& next);
void run_route_handler(RequestContext& context, const NextStep& next);

// preflight.cpp: answers a browser's CORS preflight of an allowed origin: which methods the
// path has and which request headers the API reads. No key is needed (browsers send none).
void answer_preflight(RequestContext& context, const NextStep& next);

// identification.cpp: who calls: the owner of the presented API key when auth is on (401
// without a valid key, 403 for a client key on an admin route); otherwise an anonymous admin.
void identify_caller(RequestContext& context, const NextStep& next);

// rate_limit.cpp: spends a token of the caller's bucket for the route's class; 429 when empty.
void limit_rate(RequestContext& context, const NextStep& next);
// The token spending of limit_rate, also for a caller without a valid key.
void take_rate_token(RequestContext& context, RouteAccess access);

// announced_size.cpp: refuses an upload whose announced length is over the image limit (413)
// before its body is read.
void refuse_announced_oversize(RequestContext& context, const NextStep& next);
// Whether `request` announces (by Content-Length) a body over what an image upload route of
// `router` takes; read before routing, so a client sending `Expect: 100-continue` gets the 413
// before it sends a byte.
bool announces_oversized_upload(const Poco::Net::HTTPServerRequest& request, const Router& router,
                                std::uint64_t max_file_size);

}  // namespace visiongw::core
