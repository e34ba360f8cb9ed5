// The JSON documents of a job: the API's job object and the queue message of the contract.
#pragma once

#include <map>
#include <string>

#include "jobs/upload.h"
#include "visiongw/sdk/analysis.h"
#include "visiongw/sdk/job_store.h"

namespace visiongw::core {

// RFC 3339 UTC with seconds, e.g. 2026-11-28T17:00:00Z.
std::string utc_now();

std::string parameters_json(const std::map<std::string, sdk::ParamValue>& parameters);

// The "file" object of the API answer.
std::string file_json(const ReceivedUpload& upload, bool deduplicated);

// GET /jobs/{id} answer.
std::string job_json(const sdk::JobRecord& record);

// The message of the API contract (schema_version 1).
std::string job_message_json(const sdk::JobRecord& record, const ReceivedUpload& upload,
                             const std::string& file_path,
                             const std::map<std::string, sdk::ParamValue>& parameters);

}  // namespace visiongw::core
