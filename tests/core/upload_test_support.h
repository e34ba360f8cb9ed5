// Test helpers of the upload tests: a source that hands on a body in pieces and multipart forms
// (hand-written image headers are in tests/support/image_bytes.h).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <vector>

#include "image_bytes.h"

namespace visiongw::core::upload_testing {

using namespace std::string_literals;
using namespace visiongw::testing;

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

}  // namespace visiongw::core::upload_testing
