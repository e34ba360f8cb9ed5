#include "app/error_statuses.h"

#include <stdexcept>

namespace visiongw::core {
namespace {

// The seconds a client is told to wait before it retries an unavailable service, and a request
// whose first copy is still in flight.
constexpr const char* kRetryAfterSeconds = "5";
constexpr const char* kRetryInProgressAfterSeconds = "1";

struct ErrorStatus {
    JobErrorKind kind;
    int status;
};

constexpr ErrorStatus kErrorStatuses[] = {
    {JobErrorKind::invalid, 400},      {JobErrorKind::not_found, 404},
    {JobErrorKind::conflict, 409},     {JobErrorKind::in_progress, 409},
    {JobErrorKind::too_large, 413},    {JobErrorKind::unsupported_media, 415},
    {JobErrorKind::rejected, 422},     {JobErrorKind::unavailable, 503},
    {JobErrorKind::storage_full, 507}, {JobErrorKind::unsupported, 501},
};

}  // namespace

int http_status_of(JobErrorKind kind) {
    for (const auto& entry : kErrorStatuses) {
        if (entry.kind == kind)
            return entry.status;
    }
    throw std::logic_error("job error kind " + std::to_string(static_cast<int>(kind)) +
                           " has no HTTP status");
}

HttpError http_error_of(const JobError& error) {
    if (error.kind == JobErrorKind::unavailable) {
        return HttpError(http_status_of(error.kind), error.code, error.what(),
                         {{"Retry-After", kRetryAfterSeconds}});
    }
    if (error.kind == JobErrorKind::in_progress) {
        return HttpError(http_status_of(error.kind), error.code, error.what(),
                         {{"Retry-After", kRetryInProgressAfterSeconds}});
    }
    return HttpError(http_status_of(error.kind), error.code, error.what());
}

}  // namespace visiongw::core
