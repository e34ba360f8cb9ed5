// Image headers written byte by byte, for tests that need an exact layout (where a JPEG's frame
// or a TIFF's IFD lies) rather than a real picture (make_png and friends).
#pragma once

#include <cstdint>
#include <string>

namespace visiongw::testing {

using namespace std::string_literals;

// A little-endian integer as `bytes` bytes.
inline std::string le(std::uint32_t value, int bytes) {
    std::string out;
    for (int i = 0; i < bytes; ++i)
        out += static_cast<char>(value >> (8 * i) & 0xFF);
    return out;
}

// A big-endian integer as `bytes` bytes.
inline std::string be(std::uint32_t value, int bytes) {
    std::string out;
    for (int i = bytes - 1; i >= 0; --i)
        out += static_cast<char>(value >> (8 * i) & 0xFF);
    return out;
}

inline std::string jpeg_segment(char marker, const std::string& payload) {
    return "\xFF"s + marker + be(static_cast<std::uint32_t>(payload.size() + 2), 2) + payload;
}
inline std::string jpeg_frame(std::uint16_t width, std::uint16_t height) {
    // Fill bytes may precede a marker.
    return "\xFF\xFF"s +
           jpeg_segment('\xC2', "\x08" + be(height, 2) + be(width, 2) + "\x01" + "\x01\x11\x00"s);
}
inline std::string jpeg_scan() {
    return jpeg_segment('\xDA', "\x01\x01\x00\x00\x3F\x00"s) + "\xFF\xD9";
}
inline std::string jfif() {
    return jpeg_segment('\xE0', "JFIF\0\x01\x02\0\0\x01\0\x01\0\0"s);
}

// A JPEG whose frame header follows at least `metadata` bytes of APP1/APP2 segments (EXIF, ICC),
// as cameras write them.
inline std::string jpeg_after_metadata(std::size_t metadata, std::uint16_t width,
                                       std::uint16_t height) {
    std::string image = "\xFF\xD8"s;
    for (std::size_t written = 0; written < metadata; written += 60000)
        image += jpeg_segment(written == 0 ? '\xE1' : '\xE2', std::string(60000, 'm'));
    return image + jpeg_frame(width, height) + jpeg_scan();
}

// A TIFF as libtiff writes it: the header, `pixel_bytes` of strip data, then IFD0.
inline std::string tiff_with_ifd_after(std::size_t pixel_bytes, std::uint16_t width,
                                       std::uint16_t height) {
    return "II*\0"s + le(static_cast<std::uint32_t>(8 + pixel_bytes), 4) +
           std::string(pixel_bytes, '\x5A') + le(2, 2) +  //
           le(256, 2) + le(3, 2) + le(1, 4) + le(width, 2) + le(0, 2) + le(257, 2) + le(3, 2) +
           le(1, 4) + le(height, 2) + le(0, 2) + le(0, 4);
}

}  // namespace visiongw::testing
