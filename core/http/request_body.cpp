#include "http/request_body.h"

#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerSession.h>

#include <algorithm>

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

RequestBody::int_type RequestBody::underflow() {
    if (remaining_ == 0)
        return traits_type::eof();
    if (!block_)
        block_ = std::make_unique_for_overwrite<char[]>(kBlockBytes);
    const auto wanted = static_cast<int>(std::min<std::uint64_t>(remaining_, kBlockBytes));
    const int received = socket_->receiveBytes(block_.get(), wanted);
    if (received <= 0) {
        remaining_ = 0;  // the client closed its side: the body ends short
        return traits_type::eof();
    }
    remaining_ -= static_cast<std::uint64_t>(received);
    setg(block_.get(), block_.get(), block_.get() + received);
    return traits_type::to_int_type(*gptr());
}

}  // namespace visiongw::core
