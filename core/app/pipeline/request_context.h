// What the steps of one request share, and the shape of a step.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "app/gateway.h"
#include "http/http_call.h"
#include "http/router.h"

namespace visiongw::core {

// One request on its way through the steps: the call, what the gateway offers, and what the
// steps learnt so far.
struct RequestContext {
    RequestContext(Gateway& gateway, const Router& router, HttpCall& call, std::string path,
                   bool announced_too_large, std::chrono::steady_clock::time_point start)
        : gateway(gateway),
          router(router),
          call(call),
          path(std::move(path)),
          announced_too_large(announced_too_large),
          start(start) {}

    Gateway& gateway;
    const Router& router;
    HttpCall& call;
    const std::string path;                             // the request's path, without its query
    const bool announced_too_large;                     // an upload announced over the image limit
    const std::chrono::steady_clock::time_point start;  // when the request was taken
    bool cross_origin = false;  // the CORS step allowed the request's Origin
    RouteMatch match;           // set by match_route

    // Seconds from `start` to the first call of this (the request's duration once answered).
    double elapsed_seconds() {
        if (!elapsed_)
            elapsed_ =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return *elapsed_;
    }

private:
    std::optional<double> elapsed_;
};

class NextStep;

// One step of the request pipeline: it acts before the steps after it, runs them by calling
// `next` (or answers and stops), and may act after them.
using RequestStep = void (*)(RequestContext& context, const NextStep& next);

// The steps after the current one, bound to the request.
class NextStep {
public:
    NextStep(std::span<const RequestStep> steps, RequestContext& context)
        : steps_(steps), context_(context) {}
    // Runs the first of the steps, which runs the others; nothing when there are none.
    void operator()() const {
        if (!steps_.empty())
            steps_.front()(context_, NextStep(steps_.subspan(1), context_));
    }

private:
    std::span<const RequestStep> steps_;
    RequestContext& context_;
};

}  // namespace visiongw::core
