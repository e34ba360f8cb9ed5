// Server hardening around Poco's HTTP connections. Every accepted connection is known from the
// moment it is accepted, so slow or greedy clients cannot hold the worker threads:
// - each request's headers must be complete within a deadline (counted from the accept, or from
//   the previous answer on a keep-alive connection);
// - a request body must keep up a minimum rate after a short grace, for uploads and for the
//   drain of an unread body alike, and a drain has one overall deadline;
// - one client address may hold only so many connections (beyond: 503 and close);
// - a request Poco cannot parse, or whose framing is malformed, gets the API's JSON error;
// - a connection whose request body was not read to its end is closed after the answer, so
//   what is left of it is never taken for the next request.
// All open connections can be aborted at the end of a graceful shutdown.
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnectionFactory.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "ops/json_log.h"

namespace visiongw::core {

struct ConnectionLimits {
    std::chrono::milliseconds header_timeout{10000};
    // Before min_body_rate applies; counted like the header deadline, from the accept or the
    // previous answer, so a body waiting for a thread has no grace left when it gets one.
    std::chrono::milliseconds body_grace{10000};
    // A body ahead of min_body_rate earns at most this much time of silence.
    std::chrono::milliseconds body_rate_window{5000};
    std::uint64_t min_body_rate = 1024;  // bytes a second; 0: none
    std::size_t max_per_client = 0;      // open connections of one address; 0: no cap
};

class ConnectionGuard {
public:
    ConnectionGuard(ConnectionLimits limits, JsonLog& log);
    ~ConnectionGuard();
    ConnectionGuard(const ConnectionGuard&) = delete;
    ConnectionGuard& operator=(const ConnectionGuard&) = delete;

    // Makes connections that serve HTTP through `handlers` under this guard.
    Poco::Net::TCPServerConnectionFactory::Ptr connection_factory(
        Poco::Net::HTTPServerParams::Ptr params,
        Poco::Net::HTTPRequestHandlerFactory::Ptr handlers);
    // Registers every connection `server` accepts from now on (its deadlines start at the
    // accept, while it may still wait for a thread) and refuses those over the per-client cap.
    void attach(Poco::Net::TCPServer& server);

    // Shuts every open connection down; their handlers see the socket fail and clean up.
    void abort_all();
    // Connections being served (not those still waiting for a thread).
    std::size_t open_connections();

    // The request body of the connection served on the calling thread (no-ops on any other
    // thread). A read of the body calls body_reading() before it may block and body_received()
    // after; the first starts the body's clock. body_ended() once the body was read to its end.
    static void body_reading();
    static void body_received(std::size_t bytes);
    static void body_ended();
    // The body must be read to its end by `until` (a drain), whatever its rate.
    static void body_deadline(std::chrono::steady_clock::time_point until);

    // One accepted connection; fields other than the atomics are guarded by the mutex.
    struct Slot {
        Slot(const Poco::Net::StreamSocket& socket, std::string client, std::int64_t accepted_ns,
             std::int64_t deadline_ns)
            : socket(socket),
              client(std::move(client)),
              accepted_ns(accepted_ns),
              deadline_ns(deadline_ns) {}
        Poco::Net::StreamSocket socket;
        std::string client;                     // the peer's address
        const std::int64_t accepted_ns;         // steady clock
        bool served = false;                    // a thread took it
        std::atomic<std::int64_t> deadline_ns;  // steady clock; 0: none
        std::atomic<bool> cut{false};           // the watchdog shut it down
    };
    // The slot of `socket` for the thread that serves it; null when the watchdog cut it while
    // it waited (or it was never registered).
    Slot* serve(const Poco::Net::StreamSocket& socket);
    void leave(Slot* slot);
    const ConnectionLimits& limits() const { return limits_; }
    JsonLog& log() { return log_; }

private:
    class Filter;
    // Called on the accepting thread: registers `socket`, or answers 503 when its client is
    // over the cap. Returns whether the server should serve it.
    bool admit(const Poco::Net::StreamSocket& socket);
    void erase(std::list<Slot>::iterator slot);  // with the mutex held
    void watch();

    ConnectionLimits limits_;
    JsonLog& log_;
    Poco::Net::TCPServer* server_ = nullptr;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::list<Slot> slots_;
    std::map<std::string, std::size_t> per_client_;
    std::thread watchdog_;
};

}  // namespace visiongw::core
