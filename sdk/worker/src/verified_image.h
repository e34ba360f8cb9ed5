// Opening a job's image by path, only below the storage root, and checking it is the file the
// gateway stored.
#pragma once

#include <cstdio>
#include <string>

#include "visiongw/worker/analysis.h"

namespace visiongw::worker {

// The job's image, open for reading for the object's lifetime, whose size and SHA-256 matched
// the job message. A job message is input from whoever can publish to the job queue, so only a
// regular file below `storage_root` is opened: file_path must be the root (as configured, or
// its real path) followed by plain names, none of them empty, `.`, `..` or a symbolic link.
// Throws AnalysisError, none retryable: `file_forbidden` for any other path (its message names
// the path and the rule, never anything of the file), `file_missing` when it cannot be opened,
// `file_mismatch` when size or hash differ (the file is read no further than the declared size).
class VerifiedImage {
public:
    VerifiedImage(const Job& job, const std::string& storage_root);
    ~VerifiedImage();
    VerifiedImage(const VerifiedImage&) = delete;
    VerifiedImage& operator=(const VerifiedImage&) = delete;

    // The file, positioned at its start.
    std::FILE* rewound();

private:
    std::FILE* file_;
};

}  // namespace visiongw::worker
