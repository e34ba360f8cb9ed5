#include "jobs/job_id.h"

#include "jobs/job_error.h"

namespace visiongw::core {

void check_job_id(const std::string& id) {
    bool valid = id.size() == 36;
    for (std::size_t i = 0; valid && i < id.size(); ++i) {
        char c = id[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        valid = dash ? c == '-' : ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }
    if (!valid) {
        throw JobError(JobErrorKind::invalid, "invalid_job_id",
                       "job id must be a UUID like 3f0c2a4e-8b1d-4c6e-9f7a-0123456789ab");
    }
}

std::string canonical_job_id(std::string id) {
    for (char& c : id) {
        if (c >= 'A' && c <= 'F')
            c = static_cast<char>(c - 'A' + 'a');
    }
    check_job_id(id);
    return id;
}

}  // namespace visiongw::core
