// How a job use case refuses a request or fails, in the API's terms but free of HTTP: the
// route layer answers each kind with its status (app/error_statuses).
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace visiongw::core {

// What kind of refusal or failure a JobError is.
enum class JobErrorKind {
    invalid,            // the request or one of its fields is not acceptable
    not_found,          // no such job (or another tenant's)
    conflict,           // the job's state does not allow the change
    in_progress,        // the same request is still being processed; retry shortly
    too_large,          // the image is over the size limit
    unsupported_media,  // not a multipart form, not an image, or a format not allowed
    rejected,           // an image the policy refuses (dimensions, pixels, a bomb)
    unavailable,        // a dependency is down; the same request may succeed later
    storage_full,       // the storage has no room for the image
    unsupported,        // the configured plugins cannot do what was asked
};

// A refusal or failure of a job use case: its kind, the API's error code (e.g.
// "invalid_field") and a message naming what was wrong.
class JobError : public std::runtime_error {
public:
    JobError(JobErrorKind kind, std::string code, const std::string& message)
        : std::runtime_error(message), kind(kind), code(std::move(code)) {}

    JobErrorKind kind;
    std::string code;
};

}  // namespace visiongw::core
