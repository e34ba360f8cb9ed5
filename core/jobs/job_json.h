// The JSON documents of a job in the HTTP API: the job object and its parts.
#pragma once

#include <map>
#include <memory>
#include <optional>
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

// GET /jobs/{id} answer; with a `webhook` object ({status, attempts, last_error}) for a job
// that has a callback_url.
std::string job_json(const sdk::JobRecord& record);

// The body of a job's completion webhook: job_json() without the `webhook` object, whose
// state the delivery itself changes.
std::string webhook_payload_json(const sdk::JobRecord& record);

// A job as the job list shows it: job_json() with `result_summary` (the result's `summary`
// text, when it is an object that has one, else null) in place of `result`.
std::string job_list_item_json(const sdk::JobRecord& record);

// GET /jobs answer: {"jobs": [...], "next_cursor": cursor or null}.
std::string job_list_json(const sdk::JobPage& page);

// GET /analysis-types answer: each validator's type and the parameters() it declares.
std::string analysis_types_json(
    const std::map<std::string, std::shared_ptr<sdk::AnalysisValidator>>& validators);

// The API's cursor of a store's listing position (base64url, no padding), and back: nullopt
// for text that is not such a cursor.
std::string encode_cursor(const std::string& position);
std::optional<std::string> decode_cursor(const std::string& cursor);

}  // namespace visiongw::core
