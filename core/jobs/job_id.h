// The job ids this gateway makes, as clients send them back.
#pragma once

#include <string>

namespace visiongw::core {

// Throws JobError invalid (invalid_job_id) unless `id` is a job id this gateway could have made.
void check_job_id(const std::string& id);
// `id` from a client in the form this gateway made it: a UUID's hex digits are read in either
// case (RFC 4122) and are lower case here. Throws as check_job_id.
std::string canonical_job_id(std::string id);

}  // namespace visiongw::core
