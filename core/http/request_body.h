// The body of one request, read straight from the connection when its length is declared.
#pragma once

#include <Poco/Buffer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/StreamSocket.h>

#include <cstdint>
#include <istream>
#include <memory>
#include <streambuf>

namespace visiongw::core {

// A body with a Content-Length is taken from the socket itself, up to 64 KiB per recv() where
// Poco's stream takes 4 KiB: first what Poco read past the request head, then never more than
// the declared length, so the next request on the connection stays intact. sgetn() receives
// straight into the caller's buffer (no copy through a block of its own) and in_avail() tells
// the bytes still to come, so a reader can ask for them in one call. A body Poco has buffered
// whole already (a small one, perhaps followed by a pipelined request), a chunked body and a
// request Poco did not make are read through Poco's stream, one buffer of it at a time. A
// request with neither Content-Length nor Transfer-Encoding has no body (RFC 9112 6.3).
//
// Every read reports to the connection's guard (the minimum body rate) and the end of the body
// when it is reached, so the connection is kept open only when nothing of the body is left.
// Socket errors and timeouts reach the reader as Poco's exceptions.
class RequestBody : public std::streambuf {
public:
    explicit RequestBody(Poco::Net::HTTPServerRequest& request);
    RequestBody(const RequestBody&) = delete;
    RequestBody& operator=(const RequestBody&) = delete;

    std::istream& stream() { return stream_; }
    // Whether the body was read to its end (a request without one: at once).
    bool ended() const { return ended_; }

protected:
    int_type underflow() override;
    std::streamsize xsgetn(char* destination, std::streamsize count) override;
    std::streamsize showmanyc() override;

private:
    // One read of at most `count` bytes of the body into `destination`; 0 once it has ended
    // (or the client closed its side: the body then ends short).
    std::size_t receive(char* destination, std::size_t count);
    std::size_t receive_from_socket(char* destination, std::size_t count);
    std::size_t receive_from_poco(char* destination, std::size_t count);
    void end();

    Poco::Net::StreamSocket* socket_ = nullptr;  // set: reading the socket itself
    std::streambuf* poco_ = nullptr;             // set: reading through Poco's stream
    bool length_known_ = false;
    std::uint64_t remaining_ = 0;  // declared bytes not yet read, when length_known_
    bool ended_ = false;
    Poco::Buffer<char> read_ahead_{0};  // what Poco buffered past the head
    std::unique_ptr<char[]> block_;     // for reads a character at a time (underflow) only
    std::istream stream_;
};

}  // namespace visiongw::core
