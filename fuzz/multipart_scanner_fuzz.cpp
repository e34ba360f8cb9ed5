// Fuzzes the multipart scanner: a boundary and a schedule of read sizes chosen by the input, then
// a body. Whatever the pieces the source delivers, the scanner must read the same parts (or
// refuse the body) as when the whole body is at hand, hand on spans of at most one block, and
// throw nothing but MultipartError or Poco's header errors.
#include <Poco/Exception.h>

#include <algorithm>
#include <array>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "multipart_scanner.h"

namespace {

using visiongw::core::MultipartError;
using visiongw::core::MultipartScanner;
using visiongw::fuzz::FuzzInput;
using visiongw::fuzz::require;

// Serves a body in pieces whose sizes cycle through a schedule, the way socket reads arrive:
// in_avail() is what is left of the current piece.
class ScheduledSource : public std::streambuf {
public:
    ScheduledSource(std::string_view body, const std::vector<std::size_t>& schedule)
        : body_(body), schedule_(schedule) {}

protected:
    int_type underflow() override {
        if (offset_ == body_.size())
            return traits_type::eof();
        const std::size_t piece =
            std::min(schedule_[next_++ % schedule_.size()], body_.size() - offset_);
        char* start = body_.data() + offset_;
        setg(start, start, start + piece);
        offset_ += piece;
        return traits_type::to_int_type(*start);
    }

private:
    std::string body_;
    const std::vector<std::size_t>& schedule_;
    std::size_t offset_ = 0;
    std::size_t next_ = 0;
};

struct Part {
    std::string header;
    std::string body;
    bool operator==(const Part&) const = default;
};

// The parts of the body, or nothing when the scanner refused it.
std::optional<std::vector<Part>> scan(std::streambuf& source, const std::string& boundary,
                                      std::size_t body_size) {
    MultipartScanner scanner(source, boundary);
    std::vector<Part> parts;
    try {
        Poco::Net::MessageHeader header;
        while (scanner.next_part(header)) {
            std::ostringstream text;
            header.write(text);
            Part part{text.str(), {}};
            scanner.read_body([&](const char* data, std::size_t size) {
                require(size > 0 && size <= MultipartScanner::kBlockBytes,
                        "a span is empty or longer than a block");
                part.body.append(data, size);
            });
            parts.push_back(std::move(part));
            header.clear();
        }
        require(scanner.consumed() <= body_size, "consumed more than the body");
        scanner.skip_epilogue();
        require(scanner.consumed() == body_size, "the epilogue was not read to the end");
    } catch (const MultipartError&) {
        return std::nullopt;
    } catch (const Poco::Exception&) {  // a part header MessageHeader refuses
        return std::nullopt;
    }
    return parts;
}

// A read size: mostly small, sometimes whole blocks and more.
std::size_t piece_size(std::uint8_t choice) {
    return choice < 192 ? choice + 1u : (choice - 191u) * 2048u;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzInput input(data, size);
    const std::string boundary(input.take(input.choice() % 70 + 1));
    std::vector<std::size_t> schedule;
    for (int i = 0; i < 8; ++i)
        schedule.push_back(piece_size(input.choice()));
    const std::string_view body = input.rest();

    ScheduledSource pieces(body, schedule);
    const auto read_in_pieces = scan(pieces, boundary, body.size());
    std::stringbuf whole{std::string(body)};
    const auto read_whole = scan(whole, boundary, body.size());
    require(read_in_pieces == read_whole, "the parts depend on the read sizes");
    return 0;
}
