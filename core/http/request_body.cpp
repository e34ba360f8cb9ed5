#include "http/request_body.h"

#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerSession.h>

#include <algorithm>
#include <cstring>

namespace visiongw::core {
namespace {

constexpr std::size_t kBlockBytes = 64 * 1024;

// HTTPSession::buffered() is protected; a member pointer named through a subclass reads it.
struct SessionBuffer : Poco::Net::HTTPSession {
    static std::uint64_t bytes(Poco::Net::HTTPSession& session) {
        return static_cast<std::uint64_t>((session.*(&SessionBuffer::buffered))());
    }
};

}  // namespace

RequestBody::RequestBody(Poco::Net::HTTPServerRequest& request) : stream_(&request.stream()) {
    auto* served = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
    if (served == nullptr || !request.hasContentLength() || request.getContentLength64() <= 0 ||
        request.getChunkedTransferEncoding()) {
        return;
    }
    const auto declared = static_cast<std::uint64_t>(request.getContentLength64());
    if (SessionBuffer::bytes(served->session()) >= declared)
        return;  // all read already, maybe with a pipelined request after it: Poco's stream
    socket_ = &served->socket();
    served->session().drainBuffer(read_ahead_);
    remaining_ = declared - read_ahead_.size();
    setg(read_ahead_.begin(), read_ahead_.begin(), read_ahead_.end());  // served first
    own_stream_ = std::make_unique<std::istream>(this);
    stream_ = own_stream_.get();
}

std::size_t RequestBody::receive(char* destination, std::size_t count) {
    const auto wanted = static_cast<int>(std::min<std::uint64_t>({remaining_, count, kBlockBytes}));
    if (wanted == 0)
        return 0;
    const int received = socket_->receiveBytes(destination, wanted);
    if (received <= 0) {
        remaining_ = 0;
        return 0;
    }
    remaining_ -= static_cast<std::uint64_t>(received);
    return static_cast<std::size_t>(received);
}

RequestBody::int_type RequestBody::underflow() {
    if (remaining_ == 0)
        return traits_type::eof();
    if (!block_)
        block_ = std::make_unique_for_overwrite<char[]>(kBlockBytes);
    const std::size_t received = receive(block_.get(), kBlockBytes);
    if (received == 0)
        return traits_type::eof();
    setg(block_.get(), block_.get(), block_.get() + received);
    return traits_type::to_int_type(*gptr());
}

// What is buffered first, then recv() into `destination` until `count` bytes or the body's end.
std::streamsize RequestBody::xsgetn(char* destination, std::streamsize count) {
    std::streamsize done = std::min<std::streamsize>(count, egptr() - gptr());
    if (done > 0) {
        std::memcpy(destination, gptr(), static_cast<std::size_t>(done));
        gbump(static_cast<int>(done));
    }
    while (done < count) {
        const std::size_t received =
            receive(destination + done, static_cast<std::size_t>(count - done));
        if (received == 0)
            break;
        done += static_cast<std::streamsize>(received);
    }
    return done;
}

std::streamsize RequestBody::showmanyc() {
    return remaining_ > 0 ? static_cast<std::streamsize>(remaining_) : -1;
}

}  // namespace visiongw::core
