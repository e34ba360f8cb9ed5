// Reads a multipart/form-data body (RFC 7578, RFC 2046 §5.1) from a stream in blocks.
#pragma once

#include <Poco/Net/MessageHeader.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <streambuf>
#include <string>

namespace visiongw::core {

// The body is not well-formed multipart, or it ended before its closing delimiter.
class MultipartError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Finds part boundaries with memmem over blocks of up to kBlockBytes and hands part bodies on
// as spans of up to a block, never byte by byte. It asks the source for bytes only when it needs
// more and then takes only what the source has buffered or says it can deliver (in_avail()), so
// it never waits for bytes past the closing delimiter (past the end of a chunked body, Poco's
// stream would wait for a next chunk).
// Exceptions of the source (a broken connection, a timeout) pass through unchanged.
class MultipartScanner {
public:
    static constexpr std::size_t kBlockBytes = 64 * 1024;
    static constexpr std::size_t kMaxHeaderBytes = 8 * 1024;  // all header lines of one part
    static constexpr std::size_t kMaxPreambleBytes = 16 * 1024;

    using Sink = std::function<void(const char* data, std::size_t size)>;

    MultipartScanner(std::streambuf& source, const std::string& boundary);

    // Skips what is left of the current part and reads the next part's header; false once the
    // closing delimiter has been read.
    bool next_part(Poco::Net::MessageHeader& header);

    // Hands the current part's body to `sink`, in order, up to the next delimiter.
    void read_body(const Sink& sink);

    // Reads whatever follows the closing delimiter, to the end of the source.
    void skip_epilogue();

    // Bytes taken from the source so far.
    std::uint64_t consumed() const { return consumed_; }

private:
    enum class Position { preamble, body, headers, closed };

    void read_to_delimiter(const Sink* sink, std::size_t limit);
    void read_delimiter_end();
    void read_headers(Poco::Net::MessageHeader& header);
    bool ensure(std::size_t bytes);
    bool fill();

    std::streambuf& source_;
    const std::string delimiter_;  // CRLF "--" boundary
    std::unique_ptr<char[]> buffer_;
    std::size_t begin_ = 0;  // unread bytes are [begin_, end_)
    std::size_t end_ = 0;
    std::uint64_t consumed_ = 0;
    Position position_ = Position::preamble;
};

}  // namespace visiongw::core
