#include "app/pipeline/request_steps.h"
#include "http/http_error.h"

namespace visiongw::core {
namespace {

// A request without a valid key spends a token of its address's bucket first, so guessing
// keys is rate limited too.
Identity identity_of(RequestContext& context, RouteAccess access) {
    Gateway& gateway = context.gateway;
    if (!gateway.api_keys || access == RouteAccess::open)
        return Identity{"", "admin", ""};
    const auto& request = context.call.request;
    auto presented =
        presented_api_key(request.get("Authorization", ""), request.get("X-API-Key", ""));
    const ApiKeyOwner* owner = presented ? gateway.api_keys->find(*presented) : nullptr;
    if (owner == nullptr) {
        take_rate_token(context, access);
        throw HttpError(401, "unauthorized",
                        presented ? "the API key is not valid"
                                  : "an API key is required: send Authorization: Bearer <key> "
                                    "or X-API-Key: <key>",
                        {{"WWW-Authenticate", "Bearer"}});
    }
    Identity identity{owner->tenant, owner->role == Role::admin ? "admin" : "client",
                      owner->key_id};
    if (access == RouteAccess::admin && owner->role != Role::admin) {
        throw HttpError(403, "forbidden", "this route needs an API key with the admin role");
    }
    return identity;
}

}  // namespace

void identify_caller(RequestContext& context, const NextStep& next) {
    context.call.identity = identity_of(context, context.match.route->access);
    next();
}

}  // namespace visiongw::core
