#include "app/request_handler.h"

#include <pthread.h>

#include <Poco/Net/NetException.h>
#include <Poco/URI.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "app/error_statuses.h"
#include "http/connection_guard.h"
#include "http/json_answer.h"
#include "http/request_body.h"
#include "http/request_id.h"

namespace visiongw::core {
namespace {

constexpr const char* kAnalyzeRoute = "/api/v1/vision/analyze";
// Multipart framing and text fields on top of the image itself.
constexpr std::uint64_t kFormOverheadBytes = 1 << 20;
// After an early answer, how much of an unread body is read and dropped so the client sees
// the answer instead of a connection reset.
constexpr std::streamsize kDrainBytes = 64 << 20;
constexpr auto kDrainTime = std::chrono::seconds(5);

// Milliseconds to the microsecond, as the access log shows them: 0.756, not 0.7563580000000001.
double rounded_to_microsecond(double ms) {
    return std::round(ms * 1000) / 1000;
}

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

void drain(std::istream& body) {
    char buffer[16384];
    std::streamsize total = 0;
    // One deadline for the whole drain, kept by the connection's guard even within a read.
    ConnectionGuard::body_deadline(std::chrono::steady_clock::now() + kDrainTime);
    try {
        while (body && total < kDrainBytes) {
            body.read(buffer, sizeof buffer);
            total += body.gcount();
        }
    } catch (const std::exception&) {
        // The client went away; nothing more to do.
    }
}

class GatewayRequestHandler : public Poco::Net::HTTPRequestHandler {
public:
    GatewayRequestHandler(Gateway& gateway, const Router& router, bool oversized)
        : gateway_(gateway), router_(router), oversized_(oversized) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        auto start = std::chrono::steady_clock::now();
        RequestBody body(request);
        HttpCall call{request,
                      response,
                      body.stream(),
                      choose_request_id(request.get("X-Request-ID", "")),
                      "",
                      {},
                      {},
                      "",
                      false,
                      {}};
        response.set("X-Request-ID", call.request_id);
        const std::string path = Poco::URI(request.getURI()).getPath();
        try {
            dispatch(call, path);
        } catch (const HttpError& error) {
            answer_error(call, error);
        } catch (const JobError& error) {
            answer_error(call, http_error_of(error));
        } catch (const sdk::Unavailable& e) {
            answer_error(call, http_error_of(JobError(JobErrorKind::unavailable,
                                                      "service_unavailable", e.what())));
        } catch (const sdk::StorageFull& e) {
            answer_error(call, http_error_of(JobError(JobErrorKind::storage_full,
                                                      "insufficient_storage", e.what())));
        } catch (const Poco::Net::NetException& e) {
            // The client's connection failed mid-request; it can no longer be answered.
            call.body_consumed = true;
            response.setKeepAlive(false);
            gateway_.log.write(sdk::LogLevel::info, "client connection lost",
                               {{"request_id", call.request_id}, {"error", e.displayText()}});
        } catch (const std::exception& e) {
            gateway_.log.write(
                sdk::LogLevel::error, "request failed",
                {{"request_id", call.request_id}, {"route", call.route}, {"error", e.what()}});
            answer_error(call, HttpError(500, "internal_error",
                                         "the gateway failed to handle the request; see its "
                                         "log for request id " +
                                             call.request_id));
        }
        if (!call.body_consumed && response.sent())
            drain(call.body);
        record(call, start);
    }

private:
    void dispatch(HttpCall& call, const std::string& path) {
        auto& request = call.request;
        call.body_consumed = !request.hasContentLength() && !request.getChunkedTransferEncoding()
                                 ? true
                                 : request.getContentLength() == 0;
        const bool cross_origin = allow_origin(call);
        RouteMatch match = router_.match(request.getMethod(), path);
        if (match.route == nullptr && cross_origin && !match.allowed.empty() &&
            request.getMethod() == Poco::Net::HTTPRequest::HTTP_OPTIONS &&
            request.has("Access-Control-Request-Method")) {
            answer_preflight(call, match.allowed);
            return;
        }
        if (match.route == nullptr) {
            call.route = "unmatched";
            if (match.allowed.empty()) {
                throw HttpError(404, "not_found", "no route " + path.substr(0, 200));
            }
            std::string allow;
            for (const auto& method : match.allowed)
                allow += (allow.empty() ? "" : ", ") + method;
            throw HttpError(405, "method_not_allowed",
                            request.getMethod() + " is not allowed on " + path.substr(0, 200) +
                                "; allowed: " + allow,
                            {{"Allow", allow}});
        }
        call.route = match.route->pattern;
        call.path_params = std::move(match.params);
        call.identity = identify(call, match.route->access);
        limit_rate(call, match.route->access);
        if (oversized_) {
            // With Expect: 100-continue the client waits for this answer and sends no body.
            if (request.getExpectContinue())
                call.body_consumed = true;
            call.response.setKeepAlive(false);
            throw JobError(JobErrorKind::too_large, "file_too_large",
                           "request body of " + std::to_string(request.getContentLength64()) +
                               " bytes exceeds the image limit of " +
                               std::to_string(gateway_.settings.max_file_size) + " bytes");
        }
        match.route->handler(call);
    }

    // CORS: when [gateway] cors_origins allows the request's Origin, the answer (error or not)
    // says so and exposes the headers a client reads. Returns whether it was allowed.
    bool allow_origin(HttpCall& call) {
        const std::vector<std::string>& allowed = gateway_.settings.cors_origins;
        if (allowed.empty())
            return false;
        const std::string origin = call.request.get("Origin", "");
        if (origin.empty())
            return false;
        const bool any = allowed.front() == "*";
        if (!any && std::find(allowed.begin(), allowed.end(), origin) == allowed.end())
            return false;
        auto& response = call.response;
        response.set("Access-Control-Allow-Origin", any ? "*" : origin);
        if (!any)
            response.set("Vary", "Origin");
        response.set("Access-Control-Expose-Headers",
                     "Location, Retry-After, X-Request-ID, RateLimit-Limit, RateLimit-Remaining, "
                     "RateLimit-Reset");
        return true;
    }

    // A browser's CORS preflight of an allowed origin: which methods the path has and which
    // request headers the API reads. No key is needed (browsers send none with it).
    void answer_preflight(HttpCall& call, const std::vector<std::string>& methods) {
        call.route = "preflight";
        std::string allow;
        for (const auto& method : methods)
            allow += (allow.empty() ? "" : ", ") + method;
        auto& response = call.response;
        response.set("Access-Control-Allow-Methods", allow);
        response.set("Access-Control-Allow-Headers",
                     "Authorization, Content-Type, Last-Event-ID, X-API-Key, X-Request-ID");
        response.set("Access-Control-Max-Age", "600");
        response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NO_CONTENT);
        response.setContentLength(0);
        response.send();
    }

    // Who calls: the owner of the presented API key when auth is on (401 without a valid
    // key, 403 for a client key on an admin route); otherwise an anonymous admin. A request
    // without a valid key spends a token of its address's bucket first, so guessing keys is
    // rate limited too.
    Identity identify(HttpCall& call, RouteAccess access) {
        if (!gateway_.api_keys || access == RouteAccess::open)
            return Identity{"", "admin", ""};
        const auto& request = call.request;
        auto presented =
            presented_api_key(request.get("Authorization", ""), request.get("X-API-Key", ""));
        const ApiKeyOwner* owner = presented ? gateway_.api_keys->find(*presented) : nullptr;
        if (owner == nullptr) {
            limit_rate(call, access);
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

    // Spends a token of the caller's bucket for the route's class; 429 when it is empty.
    void limit_rate(HttpCall& call, RouteAccess access) {
        if (access == RouteAccess::open)
            return;
        std::string client = call.identity.key_id.empty()
                                 ? "addr:" + call.request.clientAddress().host().toString()
                                 : "key:" + call.identity.tenant + "/" + call.identity.key_id;
        RateDecision decision = gateway_.rate_limiter.take(
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
        gateway_.metrics.rate_limited.increment();
        throw HttpError(
            429, "rate_limited",
            "too many requests; retry in " + std::to_string(decision.retry_after_seconds) + " s",
            {{"Retry-After", std::to_string(decision.retry_after_seconds)}});
    }

    void answer_error(HttpCall& call, const HttpError& error) {
        auto& response = call.response;
        if (response.sent())
            return;
        // An unread body would be taken for the next request on this connection.
        if (!call.body_consumed)
            response.setKeepAlive(false);
        if (error.status >= 500) {
            gateway_.log.write(sdk::LogLevel::warning, error.what(),
                               {{"request_id", call.request_id}, {"code", error.code}});
        }
        send_error(call, error);
    }

    void record(const HttpCall& call, std::chrono::steady_clock::time_point start) {
        double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        int status = static_cast<int>(call.response.getStatus());
        gateway_.metrics.requests
            .with({{"route", call.route},
                   {"method", method_label(call.request.getMethod())},
                   {"status", std::to_string(status)}})
            .increment();
        gateway_.metrics.request_seconds.with({{"route", call.route}}).observe(seconds);
        if (status == 202)
            gateway_.metrics.observe_submit_steps(call.step_ms);
        if (!gateway_.log.enabled(sdk::LogLevel::info))
            return;
        std::vector<LogField> fields{{"request_id", call.request_id},
                                     {"method", call.request.getMethod()},
                                     {"route", call.route},
                                     {"status", status},
                                     {"duration_ms", rounded_to_microsecond(seconds * 1000)},
                                     {"job_id", call.job_id},
                                     {"tenant", call.identity.tenant}};
        for (const auto& [step, ms] : call.step_ms)
            fields.emplace_back(step, rounded_to_microsecond(ms));
        gateway_.log.write(sdk::LogLevel::info, "request", fields);
    }

    Gateway& gateway_;
    const Router& router_;
    bool oversized_;
};

}  // namespace

Poco::Net::HTTPRequestHandler* GatewayRequestHandlerFactory::createRequestHandler(
    const Poco::Net::HTTPServerRequest& request) {
    bool oversized = request.getMethod() == Poco::Net::HTTPRequest::HTTP_POST &&
                     request.hasContentLength() &&
                     static_cast<std::uint64_t>(request.getContentLength64()) >
                         gateway_.settings.max_file_size + kFormOverheadBytes &&
                     Poco::URI(request.getURI()).getPath() == kAnalyzeRoute;
    if (oversized && request.getExpectContinue()) {
        // Any status but 200 keeps Poco from sending "100 Continue".
        request.response().setStatus(Poco::Net::HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE);
    }
    // Poco's pooled connection threads are named once, as top -H and perf show them.
    thread_local const bool named = pthread_setname_np(pthread_self(), "vgw-http") == 0;
    static_cast<void>(named);
    return new GatewayRequestHandler(gateway_, router_, oversized);
}

}  // namespace visiongw::core
