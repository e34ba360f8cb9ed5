#include "image_probe.h"

#include <algorithm>
#include <array>
#include <cstring>
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
struct Truncated {};  // the header goes on past the bytes at hand
struct Malformed {
    std::string reason;
};
using HeaderScan = std::variant<Dimensions, Truncated, Malformed>;

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
        return Truncated{};
    if (b.substr(12, 4) != "IHDR")
        return Malformed{"PNG does not start with an IHDR chunk"};
    return Dimensions{be32(b, 16), be32(b, 20)};
}

HeaderScan scan_bmp(std::string_view b) {
    // file header(14), then the DIB header, which starts with its own size
    if (b.size() < 18)
        return Truncated{};
    const std::uint32_t header_size = le32(b, 14);
    if (header_size == 12) {  // BITMAPCOREHEADER: 16-bit width and height
        if (b.size() < 22)
            return Truncated{};
        return Dimensions{le16(b, 18), le16(b, 20)};
    }
    if (header_size < 16 || header_size > 124) {
        return Malformed{"BMP has an unknown header size of " + std::to_string(header_size) +
                         " bytes"};
    }
    // BITMAPINFOHEADER and its successors, OS/2 2.x: signed 32-bit width and height
    if (b.size() < 26)
        return Truncated{};
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
        return Truncated{};
    const std::string_view chunk = b.substr(12, 4);
    if (chunk == "VP8 ") {  // lossy: frame tag(3) start code(3) width(2) height(2), 14 bits each
        if (b.size() < 30)
            return Truncated{};
        if (b.substr(23, 3) != "\x9D\x01\x2A"sv)
            return Malformed{"WebP VP8 frame has no start code"};
        return Dimensions{le16(b, 26) & 0x3FFF, le16(b, 28) & 0x3FFF};
    }
    if (chunk == "VP8L") {  // lossless: signature 0x2F, then width-1 and height-1 in 14 bits each
        if (b.size() < 25)
            return Truncated{};
        if (byte_at(b, 20) != 0x2F)
            return Malformed{"WebP VP8L chunk has no signature byte"};
        const std::uint32_t bits = le32(b, 21);
        return Dimensions{(bits & 0x3FFF) + 1, (bits >> 14 & 0x3FFF) + 1};
    }
    if (chunk == "VP8X") {  // extended: flags(4) canvas width-1(3) height-1(3)
        if (b.size() < 30)
            return Truncated{};
        return Dimensions{le24(b, 24) + 1, le24(b, 27) + 1};
    }
    return Malformed{"WebP starts with an unknown chunk \"" + printable(chunk) + "\""};
}

struct FormatTraits {
    ImageFormat format;
    std::string_view name;
    std::string_view extension;
    std::string_view mime_type;
    std::string_view label;  // how reasons name the format
    // Reads a header that lies within the first bytes; null for the formats ImageProbe walks.
    HeaderScan (*head_scan)(std::string_view head);
};

constexpr std::array<FormatTraits, 6> kFormats{{
    {ImageFormat::jpeg, "jpeg", "jpg", "image/jpeg", "JPEG", nullptr},
    {ImageFormat::png, "png", "png", "image/png", "PNG", scan_png},
    {ImageFormat::webp, "webp", "webp", "image/webp", "WebP", scan_webp},
    {ImageFormat::gif, "gif", "gif", "image/gif", "GIF", nullptr},
    {ImageFormat::bmp, "bmp", "bmp", "image/bmp", "BMP", scan_bmp},
    {ImageFormat::tiff, "tiff", "tiff", "image/tiff", "TIFF", nullptr},
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

// SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
bool is_start_of_frame(std::uint32_t marker) {
    return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

// The size of the GIF colour table that a logical screen's or a frame's flags announce.
std::uint64_t gif_colour_table_bytes(std::uint32_t flags) {
    return (flags & 0x80) != 0 ? 3u << ((flags & 0x07) + 1) : 0;
}

constexpr std::uint32_t kTiffShort = 3, kTiffLong = 4, kTiffImageWidth = 256,
                        kTiffImageLength = 257;

std::string hex_byte(std::uint32_t byte) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    return {'0', 'x', kDigits[byte >> 4 & 0xF], kDigits[byte & 0xF]};
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

const ProbeResult& ImageProbe::feed(std::string_view bytes) {
    while (result_.status == ProbeStatus::need_more) {
        if (held_size_ >= want_length_) {
            take({held_, want_length_});
            continue;
        }
        if (bytes.empty())
            break;
        if (seen_ < want_at_) {  // bytes the walk skips
            const auto skipped =
                static_cast<std::size_t>(std::min<std::uint64_t>(want_at_ - seen_, bytes.size()));
            bytes.remove_prefix(skipped);
            seen_ += skipped;
            continue;
        }
        const std::size_t copied = std::min(want_length_ - held_size_, bytes.size());
        std::memcpy(held_ + held_size_, bytes.data(), copied);
        held_size_ += copied;
        seen_ += copied;
        bytes.remove_prefix(copied);
        if (step_ == Step::head && !format_)
            read_signature();
    }
    return result_;
}

const ProbeResult& ImageProbe::finish() {
    if (result_.status != ProbeStatus::need_more)
        return result_;
    complete_ = true;
    if (step_ == Step::head)  // the upload is shorter than the head
        take_head({held_, held_size_});
    feed({});  // the steps the held bytes still serve
    if (result_.status == ProbeStatus::need_more)
        conclude_truncated();
    return result_;
}

// Tells the format as soon as the first bytes match a signature; not_an_image once none can.
void ImageProbe::read_signature() {
    const std::string_view head(held_, held_size_);
    bool may_match_later = false;
    for (const Signature& signature : kSignatures) {
        switch (match(head, signature.pattern)) {
            case Match::full:
                format_ = signature.format;
                return;
            case Match::partial:
                may_match_later = true;
                break;
            case Match::no:
                break;
        }
    }
    if (!may_match_later || complete_) {
        result_ = {ProbeStatus::not_an_image, std::nullopt,
                   "the bytes are none of the supported image formats (" +
                       join_names(all_formats()) + ")"};
    }
}

void ImageProbe::take(std::string_view wanted) {
    switch (step_) {
        case Step::head:
            take_head(wanted);
            return;
        case Step::jpeg_segment:
        case Step::jpeg_marker:
        case Step::jpeg_length:
        case Step::jpeg_frame:
            take_jpeg(wanted);
            return;
        case Step::tiff_entry_count:
        case Step::tiff_entry:
            take_tiff(wanted);
            return;
        case Step::gif_block:
        case Step::gif_frame:
        case Step::gif_sub_block:
            take_gif(wanted);
            return;
    }
}

// The walks below follow the same specifications; `want_at_` is the offset of the wanted bytes
// in the file.

void ImageProbe::take_head(std::string_view head) {
    if (!format_)
        read_signature();
    if (!format_)
        return;
    if (const auto head_scan = traits(*format_).head_scan) {
        const HeaderScan scan = head_scan(head);
        if (std::holds_alternative<Truncated>(scan))
            conclude_truncated();
        else if (const auto* malformed = std::get_if<Malformed>(&scan))
            conclude_rejected(malformed->reason);
        else
            conclude_dimensions(std::get<Dimensions>(scan).width,
                                std::get<Dimensions>(scan).height);
        return;
    }
    switch (*format_) {
        case ImageFormat::jpeg:  // SOI(2), then segments
            want(Step::jpeg_segment, 2, 1);
            return;
        case ImageFormat::tiff: {  // byte order(2) 42(2) IFD0 offset(4)
            if (head.size() < 8)
                return conclude_truncated();
            little_endian_ = head[0] == 'I';
            const std::uint32_t ifd = tiff32(head, 4);
            if (ifd < 8)
                return conclude_rejected("TIFF IFD0 offset points into the file header");
            want(Step::tiff_entry_count, ifd, 2);
            return;
        }
        case ImageFormat::gif:  // signature(6) screen width(2) height(2) flags(1) background(1)
                                // aspect(1), then the global colour table, then blocks
            if (head.size() < 13)
                return conclude_truncated();
            width_ = le16(head, 6);
            height_ = le16(head, 8);
            want(Step::gif_block, 13 + gif_colour_table_bytes(byte_at(head, 10)), 1);
            return;
        default:
            throw std::logic_error("ImageProbe: no header walk for " +
                                   std::string(format_name(*format_)));
    }
}

void ImageProbe::take_jpeg(std::string_view b) {
    switch (step_) {
        case Step::jpeg_segment:
            if (byte_at(b, 0) != 0xFF) {
                return conclude_rejected("JPEG has no segment marker at offset " +
                                         std::to_string(want_at_));
            }
            return want(Step::jpeg_marker, want_at_ + 1, 1);
        case Step::jpeg_marker: {
            const std::uint32_t marker = byte_at(b, 0);
            if (marker == 0xFF)  // a fill byte
                return want(Step::jpeg_marker, want_at_ + 1, 1);
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7))  // no length field
                return want(Step::jpeg_segment, want_at_ + 1, 1);
            if (marker == 0xD9 || marker == 0xDA)
                return conclude_rejected("JPEG has no frame header before its image data");
            if (marker == 0x00 || marker == 0xD8) {
                return conclude_rejected("JPEG has an invalid marker at offset " +
                                         std::to_string(want_at_ - 1));
            }
            // length(2), counting itself; a frame header goes on with precision(1) height(2)
            // width(2)
            if (is_start_of_frame(marker))
                return want(Step::jpeg_frame, want_at_ + 1, 7);
            return want(Step::jpeg_length, want_at_ + 1, 2);
        }
        case Step::jpeg_length: {
            const std::uint32_t length = be16(b, 0);
            if (length < 2)
                return conclude_rejected("JPEG has a segment shorter than its length field");
            return want(Step::jpeg_segment, want_at_ + length, 1);
        }
        case Step::jpeg_frame:
            if (be16(b, 0) < 8)
                return conclude_rejected("JPEG frame header is too short");
            return conclude_dimensions(be16(b, 5), be16(b, 3));
        default:
            throw std::logic_error("ImageProbe: not a JPEG step");
    }
}

void ImageProbe::take_tiff(std::string_view b) {
    const std::string lacks_a_tag = "TIFF IFD0 lacks the ImageWidth or ImageLength tag";
    if (step_ == Step::tiff_entry_count) {  // count(2), then 12-byte entries
        entries_left_ = tiff16(b, 0);
        if (entries_left_ == 0)
            return conclude_rejected(lacks_a_tag);
        return want(Step::tiff_entry, want_at_ + 2, 12);
    }
    // tag(2) type(2) count(4) value-or-offset(4)
    const std::uint32_t tag = tiff16(b, 0);
    if (tag == kTiffImageWidth || tag == kTiffImageLength) {
        const std::uint32_t type = tiff16(b, 2);
        if (type != kTiffShort && type != kTiffLong) {
            return conclude_rejected("TIFF tag " + std::to_string(tag) + " has type " +
                                     std::to_string(type) + ", expected SHORT or LONG");
        }
        (tag == kTiffImageWidth ? width_ : height_) =
            type == kTiffShort ? tiff16(b, 8) : tiff32(b, 8);
        if (width_ && height_)
            return conclude_dimensions(*width_, *height_);
    }
    if (--entries_left_ == 0)
        return conclude_rejected(lacks_a_tag);
    want(Step::tiff_entry, want_at_ + 12, 12);
}

void ImageProbe::take_gif(std::string_view b) {
    switch (step_) {
        case Step::gif_block:
            switch (byte_at(b, 0)) {
                case 0x2C:  // a frame
                    return want(Step::gif_frame, want_at_ + 1, 9);
                case 0x21:  // an extension: label(1), then data sub-blocks
                    return want(Step::gif_sub_block, want_at_ + 2, 1);
                case 0x3B:  // the trailer
                    return conclude_dimensions(*width_, *height_);
                default:
                    return conclude_rejected("GIF has an unknown block " + hex_byte(byte_at(b, 0)) +
                                             " at offset " + std::to_string(want_at_));
            }
        case Step::gif_frame:  // left(2) top(2) width(2) height(2) flags(1), then the local
                               // colour table, the LZW code size(1) and data sub-blocks
            width_ = std::max(*width_, le16(b, 0) + le16(b, 4));
            height_ = std::max(*height_, le16(b, 2) + le16(b, 6));
            return want(Step::gif_sub_block,
                        want_at_ + 9 + gif_colour_table_bytes(byte_at(b, 8)) + 1, 1);
        case Step::gif_sub_block: {  // size(1), then that many bytes; size 0 ends the blocks
            const std::uint32_t size = byte_at(b, 0);
            return want(size == 0 ? Step::gif_block : Step::gif_sub_block, want_at_ + 1 + size, 1);
        }
        default:
            throw std::logic_error("ImageProbe: not a GIF step");
    }
}

std::uint32_t ImageProbe::tiff16(std::string_view b, std::size_t at) const {
    return little_endian_ ? le16(b, at) : be16(b, at);
}
std::uint32_t ImageProbe::tiff32(std::string_view b, std::size_t at) const {
    return little_endian_ ? le32(b, at) : be32(b, at);
}

// Walks only go forward: `at` never lies before the bytes wanted now, so what is held of it
// is a tail of held_.
void ImageProbe::want(Step step, std::uint64_t at, std::size_t length) {
    if (at < want_at_)
        throw std::logic_error("ImageProbe: a header walk went backwards");
    if (at < seen_) {
        const auto dropped = static_cast<std::size_t>(at - want_at_);
        held_size_ -= dropped;
        std::memmove(held_, held_ + dropped, held_size_);
    } else {
        held_size_ = 0;
    }
    step_ = step;
    want_at_ = at;
    want_length_ = length;
}

void ImageProbe::conclude_dimensions(std::uint32_t width, std::uint32_t height) {
    const std::string label(traits(*format_).label);
    if (width == 0)
        return conclude_rejected(label + " has zero width");
    if (height == 0)
        return conclude_rejected(label + " has zero height");
    result_ = {ProbeStatus::ok, ImageInfo{*format_, width, height}, {}};
}

void ImageProbe::conclude_rejected(std::string reason) {
    result_ = {ProbeStatus::rejected, std::nullopt, std::move(reason)};
}

// The upload ended before the header did. A GIF ends at its last whole frame, as decoders
// show a truncated GIF.
void ImageProbe::conclude_truncated() {
    if (format_ == ImageFormat::gif && width_)
        return conclude_dimensions(*width_, *height_);
    conclude_rejected(std::string(traits(*format_).label) + " header truncated");
}

ProbeResult probe_image(std::string_view bytes, bool complete) {
    ImageProbe probe;
    ProbeResult result = probe.feed(bytes);
    if (complete)
        result = probe.finish();
    return result;
}

std::optional<PolicyError> check_image_format(ImageFormat format, const ImagePolicy& policy) {
    if (policy.allowed.contains(format))
        return std::nullopt;
    return PolicyError{
        PolicyViolation::format_not_allowed,
        std::string(format_name(format)) +
            " images are not accepted; allowed formats: " + join_names(policy.allowed)};
}

std::optional<PolicyError> check_image_policy(const ImageInfo& image, const ImagePolicy& policy) {
    if (auto wrong_format = check_image_format(image.format, policy))
        return wrong_format;
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
