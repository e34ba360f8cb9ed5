// The job message (sdk/PROTOCOL.md) the gateway publishes for a job it accepted.
#pragma once

#include <map>
#include <string>

#include "jobs/upload.h"
#include "visiongw/protocol/job_message.h"
#include "visiongw/sdk/analysis.h"
#include "visiongw/sdk/job_store.h"

namespace visiongw::core {

// The message for `record`, whose image `upload` was committed as `blob` (its location, and its
// URL where the storage gives one); encode it with protocol::encode_job_message.
protocol::JobMessage job_message_of(const sdk::JobRecord& record, const ReceivedUpload& upload,
                                    const sdk::StoredBlob& blob,
                                    const std::map<std::string, sdk::ParamValue>& parameters);

}  // namespace visiongw::core
