// The one table from job errors to HTTP answers.
#pragma once

#include "http/http_error.h"
#include "jobs/job_error.h"

namespace visiongw::core {

// The HTTP status of a job error's kind.
int http_status_of(JobErrorKind kind);

// The answer of `error`: its kind's status, its code and message, and Retry-After when the
// same request may succeed later.
HttpError http_error_of(const JobError& error);

}  // namespace visiongw::core
