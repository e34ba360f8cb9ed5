#include "jobs/upload.h"

#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/NameValueCollection.h>

#include <optional>
#include <vector>

#include "jobs/job_error.h"
#include "jobs/sha256.h"
#include "upload/multipart_scanner.h"
#include "visiongw/sdk/utf8.h"

namespace visiongw::core {
namespace {

constexpr int kMaxParts = 32;

// Reads what follows the closing boundary (its line break, an epilogue) and checks that the
// body was as long as declared: a client that went away after the closing boundary but before
// the end of its body must not leave a job.
void check_complete(MultipartScanner& scanner, std::uint64_t declared_length) {
    scanner.skip_epilogue();
    if (scanner.consumed() != declared_length) {
        throw JobError(JobErrorKind::invalid, "malformed_request",
                       "the body ended after " + std::to_string(scanner.consumed()) + " of its " +
                           std::to_string(declared_length) + " bytes");
    }
}

// The image part's bytes as they arrive: probes them, and streams them into storage while
// counting and hashing. Storage starts once the probe accepted the image; a header the first
// kUndecidedBytes do not settle (a JPEG's large EXIF or ICC segments, a TIFF whose IFD follows
// its pixel data, a GIF's later frames) is probed further while the bytes are stored, so no
// more than kUndecidedBytes are ever held. A refusal before storage starts leaves storage
// untouched; after, destroying the writer removes what was written.
class ImageSink {
public:
    static constexpr std::size_t kUndecidedBytes = 256 * 1024;

    ImageSink(sdk::StorageBackend& storage, const UploadLimits& limits)
        : storage_(storage), limits_(limits) {}

    void append(const char* data, std::size_t size) {
        size_ += size;
        if (size_ > limits_.max_file_size) {
            throw JobError(JobErrorKind::too_large, "file_too_large",
                           "image exceeds " + std::to_string(limits_.max_file_size) + " bytes");
        }
        sha_.update(data, size);
        if (!image_)
            consider(probe_.feed({data, size}));
        if (!writer_ && (image_ || held_.size() + size > kUndecidedBytes))
            start_writing();
        if (writer_)
            writer_->write(data, size);
        else
            held_.insert(held_.end(), data, data + size);
    }

    // Called at the end of the part: the probe's answer is final now.
    void finish() {
        if (!image_)
            consider(probe_.finish());
        if (!writer_)
            start_writing();
    }

    ReceivedUpload take(ReceivedUpload upload) {
        upload.blob = std::move(writer_);
        upload.sha256 = sha_.hex();
        upload.size = size_;
        upload.image = *image_;
        return upload;
    }

private:
    // Throws the answer to an image the probe or the policy refuses; keeps an accepted one.
    void consider(const ProbeResult& probe) {
        switch (probe.status) {
            case ProbeStatus::need_more:
                return;
            case ProbeStatus::not_an_image:
                throw JobError(JobErrorKind::unsupported_media, "unsupported_media_type",
                               "the image part is not a supported image: " + probe.reason);
            case ProbeStatus::rejected:
                throw JobError(JobErrorKind::rejected, "image_rejected", probe.reason);
            case ProbeStatus::ok:
                break;
        }
        if (auto violation = check_image_policy(*probe.image, limits_.policy))
            refuse(*violation);
        image_ = probe.image;
    }

    static void refuse(const PolicyError& violation) {
        const bool format = violation.violation == PolicyViolation::format_not_allowed;
        throw JobError(format ? JobErrorKind::unsupported_media : JobErrorKind::rejected,
                       format ? "unsupported_media_type" : "image_rejected", violation.reason);
    }

    // Starts the storage writer with the bytes held so far; a format the policy refuses never
    // reaches storage.
    void start_writing() {
        if (!image_) {
            if (auto violation = check_image_format(*probe_.format(), limits_.policy))
                refuse(*violation);
        }
        writer_ = storage_.begin_write();
        if (!held_.empty())
            writer_->write(held_.data(), held_.size());
        std::vector<char>().swap(held_);
    }

    sdk::StorageBackend& storage_;
    const UploadLimits& limits_;
    ImageProbe probe_;
    std::optional<ImageInfo> image_;  // once the probe and the policy accepted it
    std::vector<char> held_;          // the bytes before storage started
    std::unique_ptr<sdk::BlobWriter> writer_;
    Sha256 sha_;
    std::uint64_t size_ = 0;
};

}  // namespace

std::string multipart_boundary(const std::string& content_type) {
    std::string type;
    Poco::Net::NameValueCollection params;
    Poco::Net::MessageHeader::splitParameters(content_type, type, params);
    if (Poco::icompare(type, "multipart/form-data") != 0) {
        throw JobError(JobErrorKind::unsupported_media, "unsupported_media_type",
                       "the request must be multipart/form-data, got '" +
                           (content_type.empty() ? std::string("no Content-Type") : type) + "'");
    }
    std::string boundary = params.get("boundary", "");
    if (boundary.empty() || boundary.size() > 200) {
        throw JobError(JobErrorKind::unsupported_media, "unsupported_media_type",
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
                throw JobError(JobErrorKind::invalid, "invalid_field",
                               "the form has more than " + std::to_string(kMaxParts) + " parts");
            }
            std::string disposition;
            Poco::Net::NameValueCollection params;
            Poco::Net::MessageHeader::splitParameters(header.get("Content-Disposition", ""),
                                                      disposition, params);
            const std::string name = params.get("name", "");
            if (name.empty()) {
                throw JobError(JobErrorKind::invalid, "invalid_field", "a form part has no name");
            }
            if (name == "image") {
                if (image)
                    throw JobError(JobErrorKind::invalid, "invalid_field",
                                   "the form has two image parts");
                image.emplace(storage, limits);
                upload.original_filename = params.get("filename", "");
                upload.content_type = header.get("Content-Type", "");
                scanner.read_body(
                    [&](const char* data, std::size_t size) { image->append(data, size); });
                image->finish();
                continue;
            }
            if (upload.fields.count(name)) {
                throw JobError(JobErrorKind::invalid, "invalid_field",
                               "the form has field " + name + " twice");
            }
            std::string& value = upload.fields[name];
            scanner.read_body([&](const char* data, std::size_t size) {
                if (value.size() + size > limits.max_field_bytes) {
                    throw JobError(JobErrorKind::invalid, "invalid_field",
                                   "field " + name + " exceeds " +
                                       std::to_string(limits.max_field_bytes) + " bytes");
                }
                value.append(data, size);
            });
            // Fields reach workers as JSON text: taken as sent, or refused, never altered.
            if (const auto at = sdk::ill_formed_utf8_at(value)) {
                throw JobError(JobErrorKind::invalid, "invalid_field",
                               "field " + name + " is not well-formed UTF-8 text (byte " +
                                   std::to_string(*at) + " of " + std::to_string(value.size()) +
                                   ")");
            }
        }
        if (!image)
            throw JobError(JobErrorKind::invalid, "missing_field", "the form has no image part");
        if (declared_length)
            check_complete(scanner, *declared_length);
    } catch (const MultipartError& e) {
        throw JobError(JobErrorKind::invalid, "malformed_request",
                       std::string("the multipart body is malformed: ") + e.what());
    } catch (const Poco::Exception& e) {
        throw JobError(JobErrorKind::invalid, "malformed_request",
                       "the multipart body is malformed or was cut short: " + e.displayText());
    }
    return image->take(std::move(upload));
}

}  // namespace visiongw::core
