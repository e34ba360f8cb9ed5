// Test helpers of the upload tests: a source that hands on a body in pieces, multipart forms and
// hand-written JPEG headers.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <vector>

namespace visiongw::core::upload_testing {

using namespace std::string_literals;

// Serves `data` in pieces of `piece` bytes, the way Poco's HTTP streams hand on what one read of
// the socket brought: in_avail() is what is left of the current piece. Reading past the data
// throws when `endless` (a chunked body whose client waits for the answer would block there).
class PiecewiseSource : public std::streambuf {
public:
    PiecewiseSource(std::string data, std::size_t piece, bool endless = false)
        : data_(std::move(data)), piece_(piece), endless_(endless) {}

protected:
    int_type underflow() override {
        if (offset_ == data_.size()) {
            if (endless_)
                throw std::runtime_error("read past the end of the body");
            return traits_type::eof();
        }
        const std::size_t size = std::min(piece_, data_.size() - offset_);
        char* start = data_.data() + offset_;
        setg(start, start, start + size);
        offset_ += size;
        return traits_type::to_int_type(*start);
    }

private:
    std::string data_;
    std::size_t piece_;
    bool endless_;
    std::size_t offset_ = 0;
};

struct Part {
    std::string header;  // e.g. Content-Disposition: form-data; name="x"
    std::string body;
};

inline std::string form(const std::vector<Part>& parts,
                        const std::string& boundary = "XyZ-b0undary") {
    std::string out;
    for (const Part& part : parts)
        out += "--" + boundary + "\r\n" + part.header + "\r\n\r\n" + part.body + "\r\n";
    return out + "--" + boundary + "--\r\n";
}

inline Part field(const std::string& name, const std::string& value) {
    return {"Content-Disposition: form-data; name=\"" + name + "\"", value};
}

// A big-endian integer as bytes, to write headers by hand.
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

}  // namespace visiongw::core::upload_testing
