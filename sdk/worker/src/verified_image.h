// Opening a job's image — by path, only below the storage root, or by fetching its file_url —
// and checking it is the file the gateway stored.
#pragma once

#include <cstdio>
#include <string>

#include "visiongw/worker/analysis.h"

namespace visiongw::worker {

// The job's image, open for reading for the object's lifetime, whose size and SHA-256 matched
// the job message. With a file_url (object storage) the image is fetched with a plain GET
// (http or https) into an unnamed temporary file, streamed and hashed on the way, read no
// further than the declared size; the worker needs no credentials and no shared folder.
// Otherwise, a job message being input from whoever can publish to the job queue, only a
// regular file below `storage_root` is opened: file_path must be the root (as configured, or
// its real path) followed by plain names, none of them empty, `.`, `..` or a symbolic link.
// Throws AnalysisError: `file_forbidden` for any other path or a file_url that is not http(s)
// (its message names the path and the rule, never anything of the file), `file_missing` when it
// cannot be opened or fetched (retryable only when the store did not answer or answered 5xx),
// `file_mismatch` when size or hash differ. Messages show a file_url without its query, which
// holds the signature.
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
