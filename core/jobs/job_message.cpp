#include "jobs/job_message.h"

namespace visiongw::core {

protocol::JobMessage job_message_of(const sdk::JobRecord& record, const ReceivedUpload& upload,
                                    const std::string& file_path,
                                    const std::map<std::string, sdk::ParamValue>& parameters) {
    return {record.id,
            record.analysis_type,
            file_path,
            upload.sha256,
            {std::string(format_name(upload.image.format)), upload.image.width, upload.image.height,
             upload.size, upload.original_filename, std::string(upload.image.mime_type())},
            parameters,
            record.created_at};
}

}  // namespace visiongw::core
