#include "http/request_body.h"

#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerSession.h>

#include <algorithm>
#include <cstring>

#include "http/connection_guard.h"

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

RequestBody::RequestBody(Poco::Net::HTTPServerRequest& request) : stream_(this) {
    const bool chunked = request.getChunkedTransferEncoding();
    if (!chunked && !(request.hasContentLength() && request.getContentLength64() > 0)) {
        ended_ = true;
        return;
    }
    poco_ = request.stream().rdbuf();
    if (chunked)
        return;
    length_known_ = true;
    remaining_ = static_cast<std::uint64_t>(request.getContentLength64());
    auto* served = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
    if (served == nullptr || SessionBuffer::bytes(served->session()) >= remaining_)
        return;  // all read already, maybe with a pipelined request after it: Poco's stream
    poco_ = nullptr;
    socket_ = &served->socket();
    served->session().drainBuffer(read_ahead_);
    remaining_ -= read_ahead_.size();
    setg(read_ahead_.begin(), read_ahead_.begin(), read_ahead_.end());  // served first
}

void RequestBody::end() {
    if (!ended_) {
        ended_ = true;
        ConnectionGuard::body_ended();
    }
}

std::size_t RequestBody::receive(char* destination, std::size_t count) {
    if (ended_ || count == 0)
        return 0;
    ConnectionGuard::body_reading();
    const std::size_t received = socket_ != nullptr ? receive_from_socket(destination, count)
                                                    : receive_from_poco(destination, count);
    ConnectionGuard::body_received(received);
    // Ended: nothing of the body is left on the connection (the reader may still hold some).
    if (received == 0 || (length_known_ && remaining_ == 0))
        end();
    return received;
}

std::size_t RequestBody::receive_from_socket(char* destination, std::size_t count) {
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

// What Poco's stream holds, or one fill of its buffer (one read of the connection): a slow body
// is counted as it arrives, not once a large read completes.
std::size_t RequestBody::receive_from_poco(char* destination, std::size_t count) {
    if (length_known_)
        count = static_cast<std::size_t>(std::min<std::uint64_t>(count, remaining_));
    if (count == 0)
        return 0;
    std::streamsize available = poco_->in_avail();
    if (available <= 0) {
        if (traits_type::eq_int_type(poco_->sgetc(), traits_type::eof()))
            return 0;
        available = std::max<std::streamsize>(poco_->in_avail(), 1);
    }
    const std::streamsize taken =
        poco_->sgetn(destination, std::min<std::streamsize>(available, count));
    if (length_known_)
        remaining_ -= static_cast<std::uint64_t>(taken);
    return static_cast<std::size_t>(taken);
}

RequestBody::int_type RequestBody::underflow() {
    if (!block_)
        block_ = std::make_unique_for_overwrite<char[]>(kBlockBytes);
    const std::size_t received = receive(block_.get(), kBlockBytes);
    if (received == 0)
        return traits_type::eof();
    setg(block_.get(), block_.get(), block_.get() + received);
    return traits_type::to_int_type(*gptr());
}

// What is buffered first, then reads into `destination` until `count` bytes or the body's end.
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
    if (ended_)
        return -1;
    return length_known_ && remaining_ > 0 ? static_cast<std::streamsize>(remaining_) : 0;
}

}  // namespace visiongw::core
