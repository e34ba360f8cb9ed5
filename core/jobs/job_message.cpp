#include "jobs/job_message.h"

namespace visiongw::core {

protocol::JobMessage job_message_of(const sdk::JobRecord& record, const ReceivedUpload& upload,
                                    const sdk::StoredBlob& blob,
                                    const std::map<std::string, sdk::ParamValue>& parameters) {
    return {.job_id = record.id,
            .analysis_type = record.analysis_type,
            .file_path = blob.location,
            .file_url = blob.url,
            .file_hash = upload.sha256,
            .metadata = {std::string(format_name(upload.image.format)), upload.image.width,
                         upload.image.height, upload.size, upload.original_filename,
                         std::string(upload.image.mime_type())},
            .parameters = parameters,
            .timestamp = record.created_at};
}

}  // namespace visiongw::core
