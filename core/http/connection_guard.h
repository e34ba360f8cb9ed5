// Server hardening around Poco's HTTP connections: every open connection is known, one whose
// request headers take longer than a deadline is cut off (slow-loris clients cannot hold a
// thread), and all can be aborted at the end of a graceful shutdown.
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServerConnectionFactory.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>

namespace visiongw::core {

class ConnectionGuard {
public:
    explicit ConnectionGuard(std::chrono::milliseconds header_timeout);
    ~ConnectionGuard();
    ConnectionGuard(const ConnectionGuard&) = delete;
    ConnectionGuard& operator=(const ConnectionGuard&) = delete;

    // Called on a connection's thread once a request's headers are read: no deadline until
    // request_finished() starts the next one.
    static void request_started();
    static void request_finished();

    // Shuts every open connection down; their handlers see the socket fail and clean up.
    void abort_all();
    std::size_t open_connections();

    // Makes connections that serve HTTP through `handlers` under this guard.
    Poco::Net::TCPServerConnectionFactory::Ptr connection_factory(
        Poco::Net::HTTPServerParams::Ptr params,
        Poco::Net::HTTPRequestHandlerFactory::Ptr handlers);

    struct Slot {
        Poco::Net::StreamSocket socket;
        std::atomic<std::int64_t> deadline_ns;  // steady clock; 0: none
    };
    std::list<Slot>::iterator enter(const Poco::Net::StreamSocket& socket);
    void leave(std::list<Slot>::iterator slot);

private:
    void watch();

    std::chrono::milliseconds header_timeout_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::list<Slot> slots_;
    std::thread watchdog_;
};

}  // namespace visiongw::core
