// One HTTP request and its answer as route handlers see them (an HTTP call, not a RabbitMQ
// exchange), with what the pipeline learnt about the request on its way.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <istream>
#include <map>
#include <string>

#include "ops/identity.h"
#include "ops/step_clock.h"
#include "visiongw/protocol/trace_context.h"

namespace visiongw::core {

struct HttpCall {
    Poco::Net::HTTPServerRequest& request;
    Poco::Net::HTTPServerResponse& response;
    std::istream& body;  // the request body (see RequestBody); not request.stream()
    std::string request_id;
    protocol::TraceContext trace;  // this gateway's span of the request's W3C trace
    std::string route;             // the route pattern, e.g. /api/v1/vision/jobs/{job_id}
    std::map<std::string, std::string> path_params;
    Identity identity;
    std::string job_id;         // for the access log, once known
    bool body_consumed = true;  // false while a request body may be unread
    StepTimes step_ms;          // for the access log: where a submit spent its time
};

}  // namespace visiongw::core
