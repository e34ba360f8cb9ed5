#include <chrono>

#include "app/pipeline/request_steps.h"
#include "http/connection_guard.h"

namespace visiongw::core {
namespace {

// After an early answer, how much of an unread body is read and dropped so the client sees
// the answer instead of a connection reset.
constexpr std::streamsize kDrainBytes = 64 << 20;
constexpr auto kDrainTime = std::chrono::seconds(5);

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

}  // namespace

void note_unread_body(RequestContext& context, const NextStep& next) {
    const auto& request = context.call.request;
    context.call.body_consumed =
        !request.hasContentLength() && !request.getChunkedTransferEncoding()
            ? true
            : request.getContentLength() == 0;
    next();
}

void drain_unread_body(RequestContext& context, const NextStep& next) {
    next();
    if (!context.call.body_consumed && context.call.response.sent())
        drain(context.call.body);
}

}  // namespace visiongw::core
