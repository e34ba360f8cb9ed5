#include "image_probe.h"

#include <array>
#include <stdexcept>
#include <variant>

namespace visiongw::core {
namespace {

using namespace std::string_view_literals;

// What a header scanner found in the prefix.
struct Dimensions {
    std::uint32_t width;
    std::uint32_t height;
};
struct NeedBytes {
    std::size_t total;  // the header ends at this offset, past the prefix
};
struct Malformed {
    std::string reason;
};
using HeaderScan = std::variant<Dimensions, NeedBytes, Malformed>;

std::uint32_t byte_at(std::string_view bytes, std::size_t at) {
    return static_cast<unsigned char>(bytes[at]);
}
std::uint32_t be16(std::string_view b, std::size_t at) {
    return byte_at(b, at) << 8 | byte_at(b, at + 1);
}
std::uint32_t be32(std::string_view b, std::size_t at) {
    return be16(b, at) << 16 | be16(b, at + 2);
}
std::uint32_t le16(std::string_view b, std::size_t at) {
    return byte_at(b, at) | byte_at(b, at + 1) << 8;
}
std::uint32_t le24(std::string_view b, std::size_t at) {
    return le16(b, at) | byte_at(b, at + 2) << 16;
}
std::uint32_t le32(std::string_view b, std::size_t at) {
    return le16(b, at) | le16(b, at + 2) << 16;
}

// Replaces bytes that would garble a log line or JSON message.
std::string printable(std::string_view bytes) {
    std::string text(bytes);
    for (char& c : text) {
        if (c < 0x20 || c > 0x7E)
            c = '?';
    }
    return text;
}

// The header layouts below follow the PNG, GIF89a, BMP, WebP container, TIFF 6.0 and JPEG
// (ITU T.81) specifications; offsets are from the start of the file.

HeaderScan scan_png(std::string_view b) {
    // signature(8) IHDR-length(4) "IHDR"(4) width(4) height(4)
    if (b.size() < 24)
        return NeedBytes{24};
    if (b.substr(12, 4) != "IHDR")
        return Malformed{"PNG does not start with an IHDR chunk"};
    return Dimensions{be32(b, 16), be32(b, 20)};
}

HeaderScan scan_gif(std::string_view b) {
    // signature(6) logical-screen-width(2) height(2)
    if (b.size() < 10)
        return NeedBytes{10};
    return Dimensions{le16(b, 6), le16(b, 8)};
}

HeaderScan scan_bmp(std::string_view b) {
    // file header(14), then the DIB header, which starts with its own size
    if (b.size() < 18)
        return NeedBytes{18};
    const std::uint32_t header_size = le32(b, 14);
    if (header_size == 12) {  // BITMAPCOREHEADER: 16-bit width and height
        if (b.size() < 22)
            return NeedBytes{22};
        return Dimensions{le16(b, 18), le16(b, 20)};
    }
    if (header_size < 16 || header_size > 124) {
        return Malformed{"BMP has an unknown header size of " + std::to_string(header_size) +
                         " bytes"};
    }
    // BITMAPINFOHEADER and its successors, OS/2 2.x: signed 32-bit width and height
    if (b.size() < 26)
        return NeedBytes{26};
    const auto width = static_cast<std::int32_t>(le32(b, 18));
    const auto height = static_cast<std::int32_t>(le32(b, 22));
    if (width < 0)
        return Malformed{"BMP has a negative width"};
    // A negative height marks a top-down bitmap.
    const std::int64_t rows = height < 0 ? -std::int64_t{height} : height;
    return Dimensions{static_cast<std::uint32_t>(width), static_cast<std::uint32_t>(rows)};
}

HeaderScan scan_webp(std::string_view b) {
    // "RIFF" size(4) "WEBP", then the first chunk: fourcc(4) size(4) payload
    if (b.size() < 20)
        return NeedBytes{20};
    const std::string_view chunk = b.substr(12, 4);
    if (chunk == "VP8 ") {  // lossy: frame tag(3) start code(3) width(2) height(2), 14 bits each
        if (b.size() < 30)
            return NeedBytes{30};
        if (b.substr(23, 3) != "\x9D\x01\x2A"sv)
            return Malformed{"WebP VP8 frame has no start code"};
        return Dimensions{le16(b, 26) & 0x3FFF, le16(b, 28) & 0x3FFF};
    }
    if (chunk == "VP8L") {  // lossless: signature 0x2F, then width-1 and height-1 in 14 bits each
        if (b.size() < 25)
            return NeedBytes{25};
        if (byte_at(b, 20) != 0x2F)
            return Malformed{"WebP VP8L chunk has no signature byte"};
        const std::uint32_t bits = le32(b, 21);
        return Dimensions{(bits & 0x3FFF) + 1, (bits >> 14 & 0x3FFF) + 1};
    }
    if (chunk == "VP8X") {  // extended: flags(4) canvas width-1(3) height-1(3)
        if (b.size() < 30)
            return NeedBytes{30};
        return Dimensions{le24(b, 24) + 1, le24(b, 27) + 1};
    }
    return Malformed{"WebP starts with an unknown chunk \"" + printable(chunk) + "\""};
}

HeaderScan scan_tiff(std::string_view b) {
    // byte order(2) 42(2) IFD0 offset(4); an IFD is count(2) then 12-byte entries:
    // tag(2) type(2) count(4) value-or-offset(4)
    const bool little_endian = b[0] == 'I';
    const auto u16 = [&](std::size_t at) { return little_endian ? le16(b, at) : be16(b, at); };
    const auto u32 = [&](std::size_t at) { return little_endian ? le32(b, at) : be32(b, at); };
    constexpr std::uint32_t kShort = 3, kLong = 4, kImageWidth = 256, kImageLength = 257;

    if (b.size() < 8)
        return NeedBytes{8};
    const std::size_t ifd = u32(4);
    if (ifd < 8)
        return Malformed{"TIFF IFD0 offset points into the file header"};
    if (b.size() < ifd + 2)
        return NeedBytes{ifd + 2};
    std::optional<std::uint32_t> width, height;
    const std::uint32_t entries = u16(ifd);
    for (std::uint32_t i = 0; i < entries && !(width && height); ++i) {
        const std::size_t entry = ifd + 2 + 12 * std::size_t{i};
        if (b.size() < entry + 12)
            return NeedBytes{entry + 12};
        const std::uint32_t tag = u16(entry);
        if (tag != kImageWidth && tag != kImageLength)
            continue;
        const std::uint32_t type = u16(entry + 2);
        if (type != kShort && type != kLong) {
            return Malformed{"TIFF tag " + std::to_string(tag) + " has type " +
                             std::to_string(type) + ", expected SHORT or LONG"};
        }
        (tag == kImageWidth ? width : height) = type == kShort ? u16(entry + 8) : u32(entry + 8);
    }
    if (!width || !height)
        return Malformed{"TIFF IFD0 lacks the ImageWidth or ImageLength tag"};
    return Dimensions{*width, *height};
}

// SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
bool is_start_of_frame(std::uint32_t marker) {
    return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

HeaderScan scan_jpeg(std::string_view b) {
    std::size_t pos = 2;  // past SOI
    for (;;) {
        if (b.size() <= pos)
            return NeedBytes{pos + 1};
        if (byte_at(b, pos) != 0xFF) {
            return Malformed{"JPEG has no segment marker at offset " + std::to_string(pos)};
        }
        while (byte_at(b, pos) == 0xFF) {  // the marker's 0xFF and any fill bytes
            if (b.size() <= ++pos)
                return NeedBytes{pos + 1};
        }
        const std::uint32_t marker = byte_at(b, pos++);
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7))
            continue;  // no length field
        if (marker == 0xD9 || marker == 0xDA) {
            return Malformed{"JPEG has no frame header before its image data"};
        }
        if (marker == 0x00 || marker == 0xD8) {
            return Malformed{"JPEG has an invalid marker at offset " + std::to_string(pos - 2)};
        }
        // length(2), counting itself; a frame header goes on with precision(1) height(2) width(2)
        if (b.size() < pos + 2)
            return NeedBytes{pos + 2};
        const std::size_t length = be16(b, pos);
        if (is_start_of_frame(marker)) {
            if (length < 8)
                return Malformed{"JPEG frame header is too short"};
            if (b.size() < pos + 7)
                return NeedBytes{pos + 7};
            return Dimensions{be16(b, pos + 5), be16(b, pos + 3)};
        }
        if (length < 2)
            return Malformed{"JPEG has a segment shorter than its length field"};
        pos += length;
    }
}

struct FormatTraits {
    ImageFormat format;
    std::string_view name;
    std::string_view extension;
    std::string_view mime_type;
    std::string_view label;  // how reasons name the format
    HeaderScan (*scan)(std::string_view prefix);
};

constexpr std::array<FormatTraits, 6> kFormats{{
    {ImageFormat::jpeg, "jpeg", "jpg", "image/jpeg", "JPEG", scan_jpeg},
    {ImageFormat::png, "png", "png", "image/png", "PNG", scan_png},
    {ImageFormat::webp, "webp", "webp", "image/webp", "WebP", scan_webp},
    {ImageFormat::gif, "gif", "gif", "image/gif", "GIF", scan_gif},
    {ImageFormat::bmp, "bmp", "bmp", "image/bmp", "BMP", scan_bmp},
    {ImageFormat::tiff, "tiff", "tiff", "image/tiff", "TIFF", scan_tiff},
}};

constexpr bool formats_in_enum_order() {
    for (std::size_t i = 0; i < kFormats.size(); ++i) {
        if (static_cast<std::size_t>(kFormats[i].format) != i)
            return false;
    }
    return true;
}
static_assert(formats_in_enum_order());

const FormatTraits& traits(ImageFormat format) {
    return kFormats.at(static_cast<std::size_t>(format));
}

// Magic bytes; '.' matches any byte.
struct Signature {
    ImageFormat format;
    std::string_view pattern;
};

constexpr std::array<Signature, 8> kSignatures{{
    {ImageFormat::jpeg, "\xFF\xD8\xFF"sv},
    {ImageFormat::png, "\x89PNG\r\n\x1A\n"sv},
    {ImageFormat::webp, "RIFF....WEBP"sv},
    {ImageFormat::gif, "GIF87a"sv},
    {ImageFormat::gif, "GIF89a"sv},
    {ImageFormat::bmp, "BM....\0\0\0\0"sv},  // "BM", file size, two reserved zero words
    {ImageFormat::tiff, "II*\0"sv},
    {ImageFormat::tiff, "MM\0*"sv},
}};

enum class Match { no, partial, full };

Match match(std::string_view prefix, std::string_view pattern) {
    const std::size_t n = std::min(prefix.size(), pattern.size());
    for (std::size_t i = 0; i < n; ++i) {
        if (pattern[i] != '.' && pattern[i] != prefix[i])
            return Match::no;
    }
    return n == pattern.size() ? Match::full : Match::partial;
}

std::set<ImageFormat> all_formats() {
    std::set<ImageFormat> formats;
    for (const FormatTraits& t : kFormats)
        formats.insert(t.format);
    return formats;
}

std::string join_names(const std::set<ImageFormat>& formats) {
    if (formats.empty())
        return "none";
    std::string names;
    for (ImageFormat format : formats) {
        if (!names.empty())
            names += ", ";
        names += format_name(format);
    }
    return names;
}

ProbeResult rejected(std::string reason) {
    return {ProbeStatus::rejected, std::nullopt, std::move(reason)};
}

// Turns a scanner's answer into the probe's, given whether more bytes may still come.
ProbeResult conclude(ImageFormat format, const HeaderScan& scan, bool complete) {
    const std::string label(traits(format).label);
    if (const auto* need = std::get_if<NeedBytes>(&scan)) {
        if (complete)
            return rejected(label + " header truncated");
        if (need->total > kMaxProbePrefix) {
            return rejected(label + " header does not end within the first " +
                            std::to_string(kMaxProbePrefix) + " bytes");
        }
        return {ProbeStatus::need_more, std::nullopt, {}};
    }
    if (const auto* malformed = std::get_if<Malformed>(&scan))
        return rejected(malformed->reason);
    const auto& size = std::get<Dimensions>(scan);
    if (size.width == 0)
        return rejected(label + " has zero width");
    if (size.height == 0)
        return rejected(label + " has zero height");
    return {ProbeStatus::ok, ImageInfo{format, size.width, size.height}, {}};
}

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos)
        return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

bool equals_ignoring_case(std::string_view text, std::string_view lowercase) {
    if (text.size() != lowercase.size())
        return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i] >= 'A' && text[i] <= 'Z' ? text[i] - 'A' + 'a' : text[i];
        if (c != lowercase[i])
            return false;
    }
    return true;
}

ImageFormat parse_image_format(std::string_view name) {
    for (const FormatTraits& t : kFormats) {
        if (equals_ignoring_case(name, t.name))
            return t.format;
    }
    throw std::invalid_argument("unknown image format \"" + printable(name) +
                                "\"; known: " + join_names(all_formats()));
}

}  // namespace

std::string_view format_name(ImageFormat format) {
    return traits(format).name;
}
std::string_view format_extension(ImageFormat format) {
    return traits(format).extension;
}
std::string_view format_mime_type(ImageFormat format) {
    return traits(format).mime_type;
}

ProbeResult probe_image(std::string_view prefix, bool complete) {
    bool may_match_later = false;
    for (const Signature& signature : kSignatures) {
        switch (match(prefix, signature.pattern)) {
            case Match::full:
                return conclude(signature.format, traits(signature.format).scan(prefix), complete);
            case Match::partial:
                may_match_later = true;
                break;
            case Match::no:
                break;
        }
    }
    if (may_match_later && !complete)
        return {ProbeStatus::need_more, std::nullopt, {}};
    return {
        ProbeStatus::not_an_image, std::nullopt,
        "the bytes are none of the supported image formats (" + join_names(all_formats()) + ")"};
}

std::optional<PolicyError> check_image_policy(const ImageInfo& image, const ImagePolicy& policy) {
    if (!policy.allowed.contains(image.format)) {
        return PolicyError{
            PolicyViolation::format_not_allowed,
            std::string(format_name(image.format)) +
                " images are not accepted; allowed formats: " + join_names(policy.allowed)};
    }
    if (image.pixels() > policy.max_pixels) {
        return PolicyError{PolicyViolation::too_many_pixels,
                           "image has " + std::to_string(image.pixels()) + " pixels, limit is " +
                               std::to_string(policy.max_pixels)};
    }
    return std::nullopt;
}

std::set<ImageFormat> parse_image_formats(std::string_view list) {
    if (trim(list).empty())
        throw std::invalid_argument("no image formats listed");
    std::set<ImageFormat> formats;
    for (std::size_t start = 0;;) {
        const std::size_t comma = list.find(',', start);
        const std::string_view name = trim(list.substr(start, comma - start));
        if (name.empty())
            throw std::invalid_argument("image format list has an empty entry");
        formats.insert(parse_image_format(name));
        if (comma == std::string_view::npos)
            return formats;
        start = comma + 1;
    }
}

}  // namespace visiongw::core
