// Image probe: what an upload is (format, dimensions) from its header, without decoding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace visiongw::core {

enum class ImageFormat { jpeg, png, webp, gif, bmp, tiff };

// The name used in configuration and in API answers: "jpeg", "png", …
std::string_view format_name(ImageFormat format);
// The canonical file extension of stored blobs: "jpg", "png", "webp", "gif", "bmp", "tiff".
std::string_view format_extension(ImageFormat format);
std::string_view format_mime_type(ImageFormat format);

// An image the probe recognised: width and height are never zero. For a GIF they are its
// logical screen grown to hold every frame, the canvas a decoder may have to paint.
struct ImageInfo {
    ImageFormat format;
    std::uint32_t width;
    std::uint32_t height;

    std::uint64_t pixels() const { return std::uint64_t{width} * height; }
    std::string_view extension() const { return format_extension(format); }
    std::string_view mime_type() const { return format_mime_type(format); }
};

enum class ProbeStatus {
    need_more,     // the header goes on past the bytes seen so far
    ok,            // `image` is set
    not_an_image,  // no known signature → 415 unsupported_media_type
    rejected,      // a known format with a truncated or unusable header → 422 image_rejected
};

struct ProbeResult {
    ProbeStatus status;
    std::optional<ImageInfo> image;  // set exactly when status is ok
    std::string reason;              // for not_an_image and rejected, e.g. "PNG header truncated"
};

// Probes an upload as its bytes pass by, in pieces of any size, keeping at most a few dozen of
// them: the header walk skips what it does not need (a JPEG's APP segments, a TIFF's pixel data
// before its first IFD, a GIF's frame data between frame descriptors), so it finds a header
// wherever in the file it lies without holding the file. A GIF is walked to its trailer, so
// every frame is measured. The answer does not depend on how the bytes are split.
class ImageProbe {
public:
    // Takes the next bytes of the upload. need_more until they settle the answer; once settled,
    // the answer stays and further bytes are ignored.
    const ProbeResult& feed(std::string_view bytes);
    // The upload ended: a header it cut short is rejected (a GIF ends at its last whole frame).
    const ProbeResult& finish();
    // The format, known from the signature before the dimensions may be.
    std::optional<ImageFormat> format() const { return format_; }

private:
    static constexpr std::size_t kHeadBytes = 32;  // holds every signature and fixed header

    enum class Step {
        head,              // the first kHeadBytes: signature, fixed headers
        jpeg_segment,      // 0xFF opening a segment
        jpeg_marker,       // a fill byte or the marker code
        jpeg_length,       // a segment's length, to skip it
        jpeg_frame,        // a frame header: length, precision, height, width
        tiff_entry_count,  // an IFD's entry count
        tiff_entry,        // one IFD entry: tag, type, count, value
        gif_block,         // a block introducer: frame, extension or trailer
        gif_frame,         // a frame (image) descriptor
        gif_sub_block,     // a data sub-block's size, to skip it
    };

    void read_signature();
    void take(std::string_view wanted);
    void take_head(std::string_view head);
    void take_jpeg(std::string_view wanted);
    void take_tiff(std::string_view wanted);
    void take_gif(std::string_view wanted);
    std::uint32_t tiff16(std::string_view bytes, std::size_t at) const;
    std::uint32_t tiff32(std::string_view bytes, std::size_t at) const;
    void want(Step step, std::uint64_t at, std::size_t length);
    void conclude_dimensions(std::uint32_t width, std::uint32_t height);
    void conclude_rejected(std::string reason);
    void conclude_truncated();

    ProbeResult result_{ProbeStatus::need_more, std::nullopt, {}};
    std::optional<ImageFormat> format_;
    bool complete_ = false;
    // The walk wants `want_length_` bytes at offset `want_at_` for `step_`; held_ keeps the
    // bytes [want_at_, seen_) once seen_ has reached want_at_.
    Step step_ = Step::head;
    std::uint64_t want_at_ = 0;
    std::size_t want_length_ = kHeadBytes;
    std::uint64_t seen_ = 0;  // bytes fed so far
    char held_[kHeadBytes]{};
    std::size_t held_size_ = 0;
    // What the walk found so far.
    bool little_endian_ = false;           // TIFF byte order
    std::uint32_t entries_left_ = 0;       // TIFF IFD entries not yet read
    std::optional<std::uint32_t> width_;   // TIFF ImageWidth; GIF canvas width
    std::optional<std::uint32_t> height_;  // TIFF ImageLength; GIF canvas height
};

// Probes `bytes` at once; `complete` says they are the whole upload (else need_more may come).
ProbeResult probe_image(std::string_view bytes, bool complete);

// What uploads the gateway accepts.
struct ImagePolicy {
    std::uint64_t max_pixels;
    std::set<ImageFormat> allowed;
};

enum class PolicyViolation {
    format_not_allowed,  // → 415 unsupported_media_type
    too_many_pixels,     // → 422 image_rejected (decompression bomb)
};

struct PolicyError {
    PolicyViolation violation;
    std::string reason;
};

// The first rule of `policy` that `image` breaks, or nothing when it is acceptable.
std::optional<PolicyError> check_image_policy(const ImageInfo& image, const ImagePolicy& policy);
// The format rule alone, for an upload whose format is known before its dimensions.
std::optional<PolicyError> check_image_format(ImageFormat format, const ImagePolicy& policy);

// Parses a comma-separated list of format names ("jpeg, png,webp"; case and spaces are
// ignored). Throws std::invalid_argument naming the unknown or empty entry and the known names.
std::set<ImageFormat> parse_image_formats(std::string_view list);

}  // namespace visiongw::core
