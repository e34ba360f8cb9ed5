// Image probe: what an upload is (format, dimensions) from its first bytes, without decoding.
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

// The largest prefix probe_image() ever asks for; a header that ends beyond it is rejected.
inline constexpr std::size_t kMaxProbePrefix = 256 * 1024;

// An image the probe recognised: width and height are never zero.
struct ImageInfo {
    ImageFormat format;
    std::uint32_t width;
    std::uint32_t height;

    std::uint64_t pixels() const { return std::uint64_t{width} * height; }
    std::string_view extension() const { return format_extension(format); }
    std::string_view mime_type() const { return format_mime_type(format); }
};

enum class ProbeStatus {
    need_more,     // the header goes on past the prefix; call again with more bytes
    ok,            // `image` is set
    not_an_image,  // no known signature → 415 unsupported_media_type
    rejected,      // a known format with a truncated or unusable header → 422 image_rejected
};

struct ProbeResult {
    ProbeStatus status;
    std::optional<ImageInfo> image;  // set exactly when status is ok
    std::string reason;              // for not_an_image and rejected, e.g. "PNG header truncated"
};

// Probes the first bytes of an upload. `complete` says `prefix` is the whole upload, so a
// header it cuts short is rejected rather than answered with need_more. need_more is only
// answered while the header fits in kMaxProbePrefix bytes, so a caller growing the prefix until
// another status comes back never needs to keep more than that (it may cut a longer prefix to
// kMaxProbePrefix bytes). Pure; thread-safe.
ProbeResult probe_image(std::string_view prefix, bool complete);

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

// Parses a comma-separated list of format names ("jpeg, png,webp"; case and spaces are
// ignored). Throws std::invalid_argument naming the unknown or empty entry and the known names.
std::set<ImageFormat> parse_image_formats(std::string_view list);

}  // namespace visiongw::core
