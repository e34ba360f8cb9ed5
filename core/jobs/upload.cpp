#include "jobs/upload.h"

#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/NameValueCollection.h>

#include <optional>
#include <vector>

#include "http/http_error.h"
#include "jobs/sha256.h"
#include "upload/multipart_scanner.h"

namespace visiongw::core {
namespace {

constexpr int kMaxParts = 32;

// Reads what follows the closing boundary (its line break, an epilogue) and checks that the
// body was as long as declared: a client that went away after the closing boundary but before
// the end of its body must not leave a job.
void check_complete(MultipartScanner& scanner, std::uint64_t declared_length) {
    scanner.skip_epilogue();
    if (scanner.consumed() != declared_length) {
        throw HttpError(400, "malformed_request",
                        "the body ended after " + std::to_string(scanner.consumed()) + " of its " +
                            std::to_string(declared_length) + " bytes");
    }
}

// The image part's bytes as they arrive: probes the header, then streams into storage while
// counting and hashing. The header is probed in the part's first span itself; only when that is
// too short to decide are spans copied together into a prefix (bounded by the probe's limit).
class ImageSink {
public:
    ImageSink(sdk::StorageBackend& storage, const UploadLimits& limits)
        : storage_(storage), limits_(limits) {}

    void append(const char* data, std::size_t size) {
        size_ += size;
        if (size_ > limits_.max_file_size) {
            throw HttpError(413, "file_too_large",
                            "image exceeds " + std::to_string(limits_.max_file_size) + " bytes");
        }
        sha_.update(data, size);
        if (writer_) {
            writer_->write(data, size);
        } else if (!prefix_.empty()) {
            prefix_.insert(prefix_.end(), data, data + size);
            decide_on_prefix(false);
        } else if (decide({data, size}, false)) {
            writer_->write(data, size);  // the first span told the image: written uncopied
        } else {
            prefix_.assign(data, data + size);
        }
    }

    // Called at the end of the part: the header must be known by now.
    void finish() {
        if (!writer_)
            decide_on_prefix(true);
    }

    ReceivedUpload take(ReceivedUpload upload) {
        upload.blob = std::move(writer_);
        upload.sha256 = sha_.hex();
        upload.size = size_;
        upload.image = image_;
        return upload;
    }

private:
    void decide_on_prefix(bool complete) {
        if (!decide({prefix_.data(), prefix_.size()}, complete))
            return;
        writer_->write(prefix_.data(), prefix_.size());
        std::vector<char>().swap(prefix_);
    }

    // Probes `header` (the image's first bytes); once they tell the image, checks the policy
    // and starts the storage writer. False while more bytes are needed.
    bool decide(std::string_view header, bool complete) {
        ProbeResult probe = probe_image(header, complete);
        switch (probe.status) {
            case ProbeStatus::need_more:
                return false;
            case ProbeStatus::not_an_image:
                throw HttpError(415, "unsupported_media_type",
                                "the image part is not a supported image: " + probe.reason);
            case ProbeStatus::rejected:
                throw HttpError(422, "image_rejected", probe.reason);
            case ProbeStatus::ok:
                break;
        }
        image_ = *probe.image;
        if (auto violation = check_image_policy(image_, limits_.policy)) {
            bool format = violation->violation == PolicyViolation::format_not_allowed;
            throw HttpError(format ? 415 : 422,
                            format ? "unsupported_media_type" : "image_rejected",
                            violation->reason);
        }
        writer_ = storage_.begin_write();
        return true;
    }

    sdk::StorageBackend& storage_;
    const UploadLimits& limits_;
    std::vector<char> prefix_;
    std::unique_ptr<sdk::BlobWriter> writer_;
    Sha256 sha_;
    std::uint64_t size_ = 0;
    ImageInfo image_{};
};

}  // namespace

std::string multipart_boundary(const std::string& content_type) {
    std::string type;
    Poco::Net::NameValueCollection params;
    Poco::Net::MessageHeader::splitParameters(content_type, type, params);
    if (Poco::icompare(type, "multipart/form-data") != 0) {
        throw HttpError(415, "unsupported_media_type",
                        "the request must be multipart/form-data, got '" +
                            (content_type.empty() ? std::string("no Content-Type") : type) + "'");
    }
    std::string boundary = params.get("boundary", "");
    if (boundary.empty() || boundary.size() > 200) {
        throw HttpError(415, "unsupported_media_type",
                        "multipart/form-data without a usable boundary parameter");
    }
    return boundary;
}

ReceivedUpload receive_upload(std::istream& source, std::optional<std::uint64_t> declared_length,
                              const std::string& boundary, sdk::StorageBackend& storage,
                              const UploadLimits& limits) {
    MultipartScanner scanner(*source.rdbuf(), boundary);
    ReceivedUpload upload;
    std::optional<ImageSink> image;
    try {
        Poco::Net::MessageHeader header;
        for (int parts = 1; scanner.next_part(header); ++parts, header.clear()) {
            if (parts > kMaxParts) {
                throw HttpError(400, "invalid_field",
                                "the form has more than " + std::to_string(kMaxParts) + " parts");
            }
            std::string disposition;
            Poco::Net::NameValueCollection params;
            Poco::Net::MessageHeader::splitParameters(header.get("Content-Disposition", ""),
                                                      disposition, params);
            const std::string name = params.get("name", "");
            if (name.empty()) {
                throw HttpError(400, "invalid_field", "a form part has no name");
            }
            if (name == "image") {
                if (image)
                    throw HttpError(400, "invalid_field", "the form has two image parts");
                image.emplace(storage, limits);
                upload.original_filename = params.get("filename", "");
                upload.content_type = header.get("Content-Type", "");
                scanner.read_body(
                    [&](const char* data, std::size_t size) { image->append(data, size); });
                image->finish();
                continue;
            }
            if (upload.fields.count(name)) {
                throw HttpError(400, "invalid_field", "the form has field " + name + " twice");
            }
            std::string& value = upload.fields[name];
            scanner.read_body([&](const char* data, std::size_t size) {
                if (value.size() + size > limits.max_field_bytes) {
                    throw HttpError(400, "invalid_field",
                                    "field " + name + " exceeds " +
                                        std::to_string(limits.max_field_bytes) + " bytes");
                }
                value.append(data, size);
            });
        }
        if (!image)
            throw HttpError(400, "missing_field", "the form has no image part");
        if (declared_length)
            check_complete(scanner, *declared_length);
    } catch (const MultipartError& e) {
        throw HttpError(400, "malformed_request",
                        std::string("the multipart body is malformed: ") + e.what());
    } catch (const Poco::Exception& e) {
        throw HttpError(400, "malformed_request",
                        "the multipart body is malformed or was cut short: " + e.displayText());
    }
    return image->take(std::move(upload));
}

}  // namespace visiongw::core
