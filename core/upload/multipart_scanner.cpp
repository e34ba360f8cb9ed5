#include "multipart_scanner.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <sstream>
#include <string_view>

namespace visiongw::core {
namespace {

constexpr std::size_t kMaxTransportPadding = 256;
constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();

}  // namespace

MultipartScanner::MultipartScanner(std::streambuf& source, const std::string& boundary)
    : source_(source),
      delimiter_("\r\n--" + boundary),
      buffer_(std::make_unique_for_overwrite<char[]>(kBlockBytes)) {
    // The first delimiter may open the body without a line break before it: start as if one
    // had been read (not counted as consumed), so every delimiter looks the same.
    buffer_[0] = '\r';
    buffer_[1] = '\n';
    end_ = 2;
}

bool MultipartScanner::next_part(Poco::Net::MessageHeader& header) {
    if (position_ == Position::preamble)
        read_to_delimiter(nullptr, kMaxPreambleBytes);
    else if (position_ == Position::body)
        read_to_delimiter(nullptr, kUnlimited);
    if (position_ == Position::closed)
        return false;
    read_headers(header);
    position_ = Position::body;
    return true;
}

void MultipartScanner::read_body(const Sink& sink) {
    if (position_ != Position::body)
        throw std::logic_error("MultipartScanner::read_body outside a part");
    read_to_delimiter(&sink, kUnlimited);
}

void MultipartScanner::skip_epilogue() {
    begin_ = end_;
    while (fill())
        begin_ = end_;
}

// Passes the bytes up to the next delimiter to `sink` (or drops them) and reads the delimiter.
// Bytes are passed when the block is full or the delimiter found, so the sink gets large spans.
void MultipartScanner::read_to_delimiter(const Sink* sink, std::size_t limit) {
    const std::size_t length = delimiter_.size();
    std::size_t passed = 0;
    const auto pass = [&](std::size_t bytes) {
        passed += bytes;
        if (passed > limit) {
            throw MultipartError("no boundary in the first " + std::to_string(limit) +
                                 " bytes of the body");
        }
        if (sink != nullptr && bytes > 0)
            (*sink)(buffer_.get() + begin_, bytes);
        begin_ += bytes;
    };
    std::size_t clean = 0;  // unread bytes known not to start a delimiter
    for (;;) {
        const char* unread = buffer_.get() + begin_;
        const auto* hit = static_cast<const char*>(
            memmem(unread + clean, end_ - begin_ - clean, delimiter_.data(), length));
        if (hit != nullptr) {
            pass(static_cast<std::size_t>(hit - unread));
            begin_ += length;
            break;
        }
        // A delimiter may still begin in the last length - 1 bytes.
        const std::size_t available = end_ - begin_;
        clean = available >= length ? available - (length - 1) : 0;
        if (end_ == kBlockBytes) {
            pass(clean);
            clean = 0;
        }
        if (!fill())
            throw MultipartError("the body ended before the closing boundary");
    }
    read_delimiter_end();
}

// After a delimiter: "--" closes the body; otherwise optional padding and a line break.
void MultipartScanner::read_delimiter_end() {
    if (!ensure(2))
        throw MultipartError("the body ended right after a boundary");
    if (buffer_[begin_] == '-' && buffer_[begin_ + 1] == '-') {
        begin_ += 2;
        position_ = Position::closed;
        return;
    }
    for (std::size_t padding = 0;; ++padding) {
        if (padding > kMaxTransportPadding || !ensure(2))
            throw MultipartError("a boundary line does not end");
        const char c = buffer_[begin_];
        if (c == ' ' || c == '\t') {
            ++begin_;
            continue;
        }
        if (c == '\n' || (c == '\r' && buffer_[begin_ + 1] == '\n')) {
            begin_ += c == '\n' ? 1 : 2;
            position_ = Position::headers;
            return;
        }
        throw MultipartError("unexpected bytes after a boundary");
    }
}

void MultipartScanner::read_headers(Poco::Net::MessageHeader& header) {
    std::string text;
    for (;;) {
        const char* unread = buffer_.get() + begin_;
        const auto* newline = static_cast<const char*>(std::memchr(unread, '\n', end_ - begin_));
        if (newline == nullptr) {
            if (end_ - begin_ + text.size() > kMaxHeaderBytes) {
                throw MultipartError("a part's header is longer than " +
                                     std::to_string(kMaxHeaderBytes) + " bytes");
            }
            if (!fill())
                throw MultipartError("the body ended inside a part's header");
            continue;
        }
        std::string_view line(unread, static_cast<std::size_t>(newline - unread));
        begin_ += line.size() + 1;
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (line.empty())
            break;
        text.append(line).append("\r\n");
        if (text.size() > kMaxHeaderBytes) {
            throw MultipartError("a part's header is longer than " +
                                 std::to_string(kMaxHeaderBytes) + " bytes");
        }
    }
    text.append("\r\n");
    std::istringstream in(text);
    header.read(in);
}

bool MultipartScanner::ensure(std::size_t bytes) {
    while (end_ - begin_ < bytes) {
        if (!fill())
            return false;
    }
    return true;
}

// Appends what the source has buffered, or says it can deliver (in_avail(); else it waits for
// at least one byte), moving the unread bytes to the front first when the block is full. False
// at the end of the source.
bool MultipartScanner::fill() {
    if (begin_ == end_) {
        begin_ = end_ = 0;
    } else if (end_ == kBlockBytes) {
        std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    if (end_ == kBlockBytes)
        throw std::logic_error("MultipartScanner: block full of unread bytes");
    std::streamsize available = source_.in_avail();
    if (available == 0) {
        if (std::streambuf::traits_type::eq_int_type(source_.sgetc(),
                                                     std::streambuf::traits_type::eof()))
            return false;
        available = source_.in_avail();
    }
    if (available < 0)
        return false;
    const auto room = static_cast<std::streamsize>(kBlockBytes - end_);
    const std::streamsize wanted = std::clamp<std::streamsize>(available, 1, room);
    const std::streamsize read = source_.sgetn(buffer_.get() + end_, wanted);
    end_ += static_cast<std::size_t>(read);
    consumed_ += static_cast<std::uint64_t>(read);
    return read > 0;
}

}  // namespace visiongw::core
