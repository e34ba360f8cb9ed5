#include <Poco/URI.h>

#include <algorithm>

#include "app/pipeline/request_steps.h"
#include "jobs/job_error.h"

namespace visiongw::core {
namespace {

// Multipart framing and text fields on top of the image itself.
constexpr std::uint64_t kFormOverheadBytes = 1 << 20;

}  // namespace

bool announces_oversized_upload(const Poco::Net::HTTPServerRequest& request, const Router& router,
                                std::uint64_t max_file_size) {
    const auto takes_upload = [&](const Route& route) {
        return route.body == RouteBody::image_upload && route.method == request.getMethod();
    };
    // The method first: only then are the headers and the URI read.
    if (std::none_of(router.routes().begin(), router.routes().end(), takes_upload) ||
        !request.hasContentLength() ||
        static_cast<std::uint64_t>(request.getContentLength64()) <=
            max_file_size + kFormOverheadBytes) {
        return false;
    }
    const Route* route =
        router.match(request.getMethod(), Poco::URI(request.getURI()).getPath()).route;
    return route != nullptr && takes_upload(*route);
}

void refuse_announced_oversize(RequestContext& context, const NextStep& next) {
    if (!context.announced_too_large) {
        next();
        return;
    }
    HttpCall& call = context.call;
    // With Expect: 100-continue the client waits for this answer and sends no body.
    if (call.request.getExpectContinue())
        call.body_consumed = true;
    call.response.setKeepAlive(false);
    throw JobError(JobErrorKind::too_large, "file_too_large",
                   "request body of " + std::to_string(call.request.getContentLength64()) +
                       " bytes exceeds the image limit of " +
                       std::to_string(context.gateway.settings.max_file_size) + " bytes");
}

}  // namespace visiongw::core
