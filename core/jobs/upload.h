// Reads a multipart/form-data submit as a stream: the image part flows in bounded chunks into
// a storage writer while its size is checked and its SHA-256 computed; text fields are kept,
// each refused unless it is well-formed UTF-8.
#pragma once

#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "upload/image_probe.h"
#include "visiongw/sdk/storage.h"

namespace visiongw::core {

struct UploadLimits {
    std::uint64_t max_file_size = 0;
    std::uint64_t max_field_bytes = 0;
    ImagePolicy policy;
};

// A fully received upload whose image is written but not yet committed: destroying it
// without committing removes the bytes.
struct ReceivedUpload {
    std::unique_ptr<sdk::BlobWriter> blob;
    std::string sha256;
    std::uint64_t size = 0;
    ImageInfo image{};
    std::string original_filename;
    std::string content_type;
    std::map<std::string, std::string> fields;  // every text field, by name
};

// The boundary of a multipart/form-data Content-Type; throws JobError unsupported_media
// otherwise.
std::string multipart_boundary(const std::string& content_type);

// Reads the whole form from `body`, which must be `declared_length` bytes long when that is
// known (Content-Length). Throws JobError (invalid: malformed, cut short or missing image;
// too_large; unsupported_media: not an image or a format not allowed; rejected image),
// sdk::StorageFull or sdk::Unavailable; whatever it throws, nothing stays stored.
ReceivedUpload receive_upload(std::istream& body, std::optional<std::uint64_t> declared_length,
                              const std::string& boundary, sdk::StorageBackend& storage,
                              const UploadLimits& limits);

}  // namespace visiongw::core
