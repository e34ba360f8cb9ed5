#include "app/pipeline/request_steps.h"
#include "http/http_error.h"

namespace visiongw::core {

void match_route(RequestContext& context, const NextStep& next) {
    context.match = context.router.match(context.call.request.getMethod(), context.path);
    next();
}

void refuse_unrouted(RequestContext& context, const NextStep& next) {
    HttpCall& call = context.call;
    RouteMatch& match = context.match;
    if (match.route == nullptr) {
        call.route = "unmatched";
        const std::string& path = context.path;
        if (match.allowed.empty()) {
            throw HttpError(404, "not_found", "no route " + path.substr(0, 200));
        }
        std::string allow;
        for (const auto& method : match.allowed)
            allow += (allow.empty() ? "" : ", ") + method;
        throw HttpError(405, "method_not_allowed",
                        call.request.getMethod() + " is not allowed on " + path.substr(0, 200) +
                            "; allowed: " + allow,
                        {{"Allow", allow}});
    }
    call.route = match.route->pattern;
    call.path_params = std::move(match.params);
    next();
}

void run_route_handler(RequestContext& context, const NextStep&) {
    context.match.route->handler(context.call);
}

}  // namespace visiongw::core
