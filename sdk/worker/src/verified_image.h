// Opening a job's image by path and checking it is the file the gateway stored.
#pragma once

#include <cstdio>

#include "visiongw/worker/analysis.h"

namespace visiongw::worker {

// The job's image, open for reading for the object's lifetime, whose size and SHA-256 matched
// the job message. Throws AnalysisError: `file_missing` when it cannot be opened,
// `file_mismatch` when size or hash differ (neither retryable).
class VerifiedImage {
public:
    explicit VerifiedImage(const Job& job);
    ~VerifiedImage();
    VerifiedImage(const VerifiedImage&) = delete;
    VerifiedImage& operator=(const VerifiedImage&) = delete;

    // The file, positioned at its start.
    std::FILE* rewound();

private:
    std::FILE* file_;
};

}  // namespace visiongw::worker
