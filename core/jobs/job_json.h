// The JSON documents of a job in the HTTP API: the job object and its parts.
#pragma once

#include <map>
#include <string>

#include "jobs/upload.h"
#include "visiongw/sdk/analysis.h"
#include "visiongw/sdk/job_store.h"

namespace visiongw::core {

// RFC 3339 UTC with seconds, e.g. 2026-11-28T17:00:00Z.
std::string utc_now();

// The "parameters" object: the same text as the job message's (protocol::encode_parameters).
std::string parameters_json(const std::map<std::string, sdk::ParamValue>& parameters);

// The "file" object of the API answer.
std::string file_json(const ReceivedUpload& upload, bool deduplicated);

// GET /jobs/{id} answer.
std::string job_json(const sdk::JobRecord& record);

}  // namespace visiongw::core
