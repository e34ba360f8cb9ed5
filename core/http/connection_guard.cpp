#include "http/connection_guard.h"

#include <sys/socket.h>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "http/json_answer.h"
#include "http/request_id.h"
#include "http/trace_headers.h"
#include "jobs/random_uuid.h"

namespace visiongw::core {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
        .count();
}

std::int64_t ns(std::chrono::milliseconds duration) {
    return std::chrono::nanoseconds(duration).count();
}

// The deadlines of the connection a thread serves, kept on that thread; the watchdog sees only
// the slot's deadline they add up to.
struct Serving {
    ConnectionGuard::Slot* slot;
    const ConnectionLimits& limits;
    bool body_unread = false;     // the current request has a body not read to its end
    std::int64_t request_ns = 0;  // when the wait for this request began
    bool body_clock = false;      // the body's clock runs (its first read began)
    std::int64_t body_ns = 0;     // when the body is too slow; 0: no rate applies
    std::int64_t drain_ns = 0;    // when the body must be done; 0: none

    void publish() const {
        std::int64_t deadline = body_ns;
        if (drain_ns != 0 && (deadline == 0 || drain_ns < deadline))
            deadline = drain_ns;
        slot->deadline_ns = deadline;
    }
};

thread_local Serving* serving = nullptr;

// An error the connection answers itself, before (or instead of) any handler.
struct Refusal {
    int status;
    std::string code;
    std::string message;
};

// Poco's MessageException texts (Poco 1.11 HTTPRequest::read and MessageHeader::read) told apart:
// a header over Poco's limits (100 fields, 256-byte names, 8 KiB values) is 431, a request
// target over 16 KiB is 414, anything else about the head is 400.
Refusal head_refusal(const Poco::Net::MessageException& e) {
    const std::string& text = e.message();
    if (text.starts_with("Too many header fields") || text.starts_with("Field ") ||
        text.starts_with("Folded field")) {
        return {431, "request_header_too_large",
                "the request head is over the limits: at most 100 header fields, names of at "
                "most 256 bytes, values of at most 8192 bytes (" +
                    text + ")"};
    }
    if (text.starts_with("HTTP request URI")) {
        return {414, "uri_too_long", "the request target is longer than 16384 bytes"};
    }
    return {400, "malformed_request", "the request line is not HTTP (" + text + ")"};
}

// Where this request's body ends must be beyond doubt, or the next request on the connection
// could be smuggled inside it: one Content-Length of digits only, or Transfer-Encoding chunked
// alone. The request target must be a URI.
std::optional<Refusal> framing_refusal(const Poco::Net::HTTPServerRequest& request) {
    const std::string& version = request.getVersion();
    if (version != Poco::Net::HTTPMessage::HTTP_1_0 &&
        version != Poco::Net::HTTPMessage::HTTP_1_1) {
        return Refusal{400, "malformed_request",
                       "the request line is not HTTP/1.0 or HTTP/1.1: version '" +
                           version.substr(0, 16) + "'"};
    }
    try {
        Poco::URI uri(request.getURI());
    } catch (const Poco::SyntaxException&) {
        return Refusal{
            400, "malformed_request",
            "the request target '" + request.getURI().substr(0, 200) + "' is not a valid URI"};
    }
    std::optional<std::string> length;
    for (auto it = request.find(Poco::Net::HTTPMessage::CONTENT_LENGTH);
         it != request.end() && Poco::icompare(it->first, "Content-Length") == 0; ++it) {
        const std::string& value = it->second;
        const bool digits =
            !value.empty() && value.size() <= 18 &&
            std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!digits) {
            return Refusal{400, "malformed_request",
                           "Content-Length must be a non-negative decimal number, got '" +
                               value.substr(0, 40) + "'"};
        }
        if (length && *length != value) {
            return Refusal{400, "malformed_request",
                           "the request has two Content-Length headers that differ"};
        }
        length = value;
    }
    if (request.has(Poco::Net::HTTPMessage::TRANSFER_ENCODING)) {
        if (!request.getChunkedTransferEncoding()) {
            return Refusal{
                400, "malformed_request",
                "Transfer-Encoding '" +
                    request.get(Poco::Net::HTTPMessage::TRANSFER_ENCODING).substr(0, 40) +
                    "' is not supported; send chunked or a Content-Length"};
        }
        if (length) {
            return Refusal{400, "malformed_request",
                           "the request has both Content-Length and Transfer-Encoding"};
        }
    }
    return std::nullopt;
}

bool has_body(const Poco::Net::HTTPServerRequest& request) {
    return request.getChunkedTransferEncoding() ||
           (request.hasContentLength() && request.getContentLength64() > 0);
}

// One HTTP connection: Poco's HTTPServerConnection loop, with the guard's deadlines around each
// request and the API's JSON error for what Poco refuses.
class GuardedConnection : public Poco::Net::TCPServerConnection {
public:
    GuardedConnection(const Poco::Net::StreamSocket& socket, ConnectionGuard& guard,
                      Poco::Net::HTTPServerParams::Ptr params,
                      Poco::Net::HTTPRequestHandlerFactory::Ptr handlers)
        : TCPServerConnection(socket),
          guard_(guard),
          params_(std::move(params)),
          handlers_(std::move(handlers)) {}

    void run() override {
        ConnectionGuard::Slot* slot = guard_.serve(socket());
        if (slot == nullptr)
            return;
        Serving state{slot, guard_.limits()};
        serving = &state;
        try {
            serve(state);
        } catch (...) {
            serving = nullptr;
            guard_.leave(slot);
            throw;
        }
        serving = nullptr;
        guard_.leave(slot);
    }

private:
    void serve(Serving& state) {
        Poco::Net::HTTPServerSession session(socket(), params_);
        const std::string server = params_->getSoftwareVersion();
        state.request_ns = state.slot->accepted_ns;  // the first request's deadline runs already
        while (!state.slot->cut) {
            if (state.request_ns != state.slot->accepted_ns) {
                state.slot->deadline_ns = state.request_ns + ns(guard_.limits().header_timeout);
            }
            if (!session.hasMoreRequests())
                return;
            const auto start = Clock::now();
            Poco::Net::HTTPServerResponseImpl response(session);
            std::optional<Poco::Net::HTTPServerRequestImpl> request;
            try {
                request.emplace(response, session, params_.get());
            } catch (const Poco::Net::NoMessageException&) {
                return;
            } catch (const Poco::Net::MessageException& e) {
                refuse(session, head_refusal(e), nullptr, start);
                return;
            } catch (const Poco::SyntaxException&) {
                // Poco parses Content-Length while it makes the request.
                refuse(session,
                       {400, "malformed_request",
                        "Content-Length must be a non-negative decimal number"},
                       nullptr, start);
                return;
            } catch (const Poco::Exception&) {
                return;  // the client went silent or away within its head
            }
            state.slot->deadline_ns = 0;
            if (auto refusal = framing_refusal(*request)) {
                refuse(session, *refusal, &*request, start);
                return;
            }
            response.setDate(Poco::Timestamp());
            response.setVersion(request->getVersion());
            response.setKeepAlive(params_->getKeepAlive() && request->getKeepAlive() &&
                                  session.canKeepAlive());
            if (!server.empty())
                response.set("Server", server);
            state.body_unread = has_body(*request);
            state.body_clock = false;
            state.body_ns = 0;
            state.drain_ns = 0;
            try {
                std::unique_ptr<Poco::Net::HTTPRequestHandler> handler(
                    handlers_->createRequestHandler(*request));
                if (request->getExpectContinue() &&
                    response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK) {
                    response.sendContinue();
                }
                handler->handleRequest(*request, response);
            } catch (const std::exception& e) {
                // The handler answers its own errors; this is what escaped it.
                if (!response.sent()) {
                    refuse(session,
                           {500, "internal_error",
                            std::string("the gateway failed to handle the request: ") + e.what()},
                           &*request, start);
                }
                return;
            }
            state.slot->deadline_ns = 0;
            // What is left of an unread body would be taken for the next request.
            session.setKeepAlive(params_->getKeepAlive() && response.getKeepAlive() &&
                                 session.canKeepAlive() && !state.body_unread);
            state.request_ns = steady_ns();
        }
    }

    // Answers `refusal` as the API's JSON error and closes the connection after it. `request`
    // is null when its head could not be read.
    void refuse(Poco::Net::HTTPServerSession& session, const Refusal& refusal,
                const Poco::Net::HTTPServerRequest* request, Clock::time_point start) {
        if (serving->slot->cut)
            return;  // the watchdog cut the connection: nobody to answer
        const std::string request_id =
            choose_request_id(request ? request->get("X-Request-ID", "") : "");
        const protocol::TraceContext trace =
            request ? trace_of(*request) : protocol::continue_trace("", "");
        try {
            Poco::Net::HTTPServerResponseImpl response(session);
            response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
            const auto status = static_cast<Poco::Net::HTTPResponse::HTTPStatus>(refusal.status);
            response.setStatusAndReason(status,
                                        Poco::Net::HTTPResponse::getReasonForStatus(status));
            response.setKeepAlive(false);
            response.set("X-Request-ID", request_id);
            response.set("traceresponse", trace.traceparent());
            const std::string body = error_json(refusal.code, refusal.message, request_id);
            response.setContentType("application/json");
            response.setContentLength(static_cast<std::streamsize>(body.size()));
            response.send().write(body.data(), static_cast<std::streamsize>(body.size())).flush();
        } catch (const Poco::Exception&) {
            // The client is gone; it is still logged.
        }
        session.setKeepAlive(false);
        linger();
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        guard_.log().write(sdk::LogLevel::info, "request",
                           {{"request_id", request_id},
                            {"trace_id", trace.span.trace_id},
                            {"span_id", trace.span.span_id},
                            {"method", request ? request->getMethod() : ""},
                            {"route", "unmatched"},
                            {"status", refusal.status},
                            {"duration_ms", std::round(ms * 1000) / 1000},
                            {"code", refusal.code},
                            {"client", serving->slot->client}});
    }

    // After a refusal, reads and drops what the client still sends for a moment (at most
    // 200 ms and 64 KiB): closing with unread bytes would reset the connection, and the client
    // could lose the answer before it reads it.
    void linger() {
        try {
            socket().shutdownSend();
            const auto end = Clock::now() + std::chrono::milliseconds(200);
            char ignored[4096];
            for (std::size_t total = 0; total < 64 * 1024;) {
                const auto left =
                    std::chrono::duration_cast<std::chrono::microseconds>(end - Clock::now());
                if (left.count() <= 0)
                    return;
                socket().setReceiveTimeout(Poco::Timespan(left.count()));
                const int received = socket().receiveBytes(ignored, sizeof ignored);
                if (received <= 0)
                    return;
                total += static_cast<std::size_t>(received);
            }
        } catch (const Poco::Exception&) {
            // Timed out, or the client is gone: either way, done.
        }
    }

    ConnectionGuard& guard_;
    Poco::Net::HTTPServerParams::Ptr params_;
    Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
};

class GuardedConnectionFactory : public Poco::Net::TCPServerConnectionFactory {
public:
    GuardedConnectionFactory(ConnectionGuard& guard, Poco::Net::HTTPServerParams::Ptr params,
                             Poco::Net::HTTPRequestHandlerFactory::Ptr handlers)
        : guard_(guard), params_(std::move(params)), handlers_(std::move(handlers)) {}

    Poco::Net::TCPServerConnection* createConnection(
        const Poco::Net::StreamSocket& socket) override {
        return new GuardedConnection(socket, guard_, params_, handlers_);
    }

private:
    ConnectionGuard& guard_;
    Poco::Net::HTTPServerParams::Ptr params_;
    Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
};

// Sends `text` without ever blocking the accepting thread; a fresh socket's buffer takes it.
void send_now(const Poco::Net::StreamSocket& socket, const std::string& text) {
    const int fd = socket.impl()->sockfd();
    char ignored[4096];
    // What the client sent already is read first, so closing does not reset the connection
    // before the answer is read.
    while (::recv(fd, ignored, sizeof ignored, MSG_DONTWAIT) > 0) {
    }
    static_cast<void>(::send(fd, text.data(), text.size(), MSG_DONTWAIT | MSG_NOSIGNAL));
    ::shutdown(fd, SHUT_WR);
}

}  // namespace

class ConnectionGuard::Filter : public Poco::Net::TCPServerConnectionFilter {
public:
    explicit Filter(ConnectionGuard& guard) : guard_(guard) {}
    bool accept(const Poco::Net::StreamSocket& socket) override { return guard_.admit(socket); }

private:
    ConnectionGuard& guard_;
};

ConnectionGuard::ConnectionGuard(ConnectionLimits limits, JsonLog& log)
    : limits_(limits), log_(log), watchdog_([this] { watch(); }) {}

ConnectionGuard::~ConnectionGuard() {
    {
        std::lock_guard<std::mutex> guard(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    watchdog_.join();
}

Poco::Net::TCPServerConnectionFactory::Ptr ConnectionGuard::connection_factory(
    Poco::Net::HTTPServerParams::Ptr params, Poco::Net::HTTPRequestHandlerFactory::Ptr handlers) {
    return new GuardedConnectionFactory(*this, std::move(params), std::move(handlers));
}

void ConnectionGuard::attach(Poco::Net::TCPServer& server) {
    server_ = &server;
    server.setConnectionFilter(new Filter(*this));
}

bool ConnectionGuard::admit(const Poco::Net::StreamSocket& socket) {
    std::string client;
    try {
        client = socket.peerAddress().host().toString();
    } catch (const Poco::Exception&) {
        return false;  // gone before it was accepted
    }
    // The server drops what its queue cannot take; such a socket must not be registered.
    if (server_ != nullptr && server_->queuedConnections() >= server_->params().getMaxQueued()) {
        return false;
    }
    std::unique_lock<std::mutex> guard(mutex_);
    std::size_t& open = per_client_[client];
    if (limits_.max_per_client == 0 || open < limits_.max_per_client) {
        ++open;
        const std::int64_t now = steady_ns();
        slots_.emplace_back(socket, client, now, now + ns(limits_.header_timeout));
        return true;
    }
    guard.unlock();
    const std::string request_id = random_uuid();
    const protocol::TraceContext trace = protocol::continue_trace("", "");
    const std::string body =
        error_json("too_many_connections",
                   "this client address has " + std::to_string(limits_.max_per_client) +
                       " connections open, the most it may; reuse them (keep-alive) or retry later",
                   request_id);
    send_now(socket,
             "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
             "Content-Length: " +
                 std::to_string(body.size()) +
                 "\r\nRetry-After: 1\r\nConnection: close\r\nX-Request-ID: " + request_id +
                 "\r\ntraceresponse: " + trace.traceparent() + "\r\n\r\n" + body);
    log_.write(sdk::LogLevel::warning, "connection refused: too many from one client",
               {{"client", client},
                {"request_id", request_id},
                {"trace_id", trace.span.trace_id},
                {"span_id", trace.span.span_id},
                {"max_connections_per_client", limits_.max_per_client}});
    return false;
}

ConnectionGuard::Slot* ConnectionGuard::serve(const Poco::Net::StreamSocket& socket) {
    std::lock_guard<std::mutex> guard(mutex_);
    for (auto& slot : slots_) {
        if (slot.socket.impl() == socket.impl()) {
            slot.served = true;
            return &slot;
        }
    }
    return nullptr;
}

void ConnectionGuard::leave(Slot* slot) {
    std::lock_guard<std::mutex> guard(mutex_);
    for (auto it = slots_.begin(); it != slots_.end(); ++it) {
        if (&*it == slot) {
            erase(it);
            return;
        }
    }
}

void ConnectionGuard::erase(std::list<Slot>::iterator slot) {
    auto count = per_client_.find(slot->client);
    if (count != per_client_.end() && --count->second == 0)
        per_client_.erase(count);
    slots_.erase(slot);
}

std::size_t ConnectionGuard::open_connections() {
    std::lock_guard<std::mutex> guard(mutex_);
    return static_cast<std::size_t>(
        std::count_if(slots_.begin(), slots_.end(), [](const Slot& slot) { return slot.served; }));
}

void ConnectionGuard::abort_all() {
    std::lock_guard<std::mutex> guard(mutex_);
    for (auto it = slots_.begin(); it != slots_.end();) {
        try {
            it->socket.shutdown();
        } catch (const Poco::Exception&) {
            // Already closed by the peer.
        }
        // One still waiting for a thread was dropped from the server's queue by its stop().
        if (it->served) {
            ++it;
        } else {
            erase(it++);
        }
    }
}

void ConnectionGuard::body_reading() {
    if (serving == nullptr || serving->body_clock)
        return;
    serving->body_clock = true;
    if (serving->limits.min_body_rate > 0)
        serving->body_ns = serving->request_ns + ns(serving->limits.body_grace);
    serving->publish();
}

// Each byte earns 1/min_body_rate seconds, but a body never gets more than body_rate_window
// ahead of now (a burst buys no long silence); a grace deadline further out is kept.
void ConnectionGuard::body_received(std::size_t bytes) {
    if (serving == nullptr || serving->body_ns == 0)
        return;
    const std::int64_t earned =
        static_cast<std::int64_t>(bytes * 1'000'000'000ull / serving->limits.min_body_rate);
    const std::int64_t cap = steady_ns() + ns(serving->limits.body_rate_window);
    serving->body_ns = std::max(serving->body_ns, std::min(serving->body_ns + earned, cap));
    serving->publish();
}

void ConnectionGuard::body_ended() {
    if (serving == nullptr)
        return;
    serving->body_unread = false;
    serving->body_ns = 0;
    serving->drain_ns = 0;
    serving->publish();
}

void ConnectionGuard::body_deadline(std::chrono::steady_clock::time_point until) {
    if (serving == nullptr || !serving->body_unread)
        return;
    serving->drain_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(until.time_since_epoch()).count();
    serving->publish();
}

void ConnectionGuard::watch() {
    std::unique_lock<std::mutex> guard(mutex_);
    while (!wake_.wait_for(guard, std::chrono::milliseconds(100), [this] { return stopping_; })) {
        const std::int64_t now = steady_ns();
        for (auto it = slots_.begin(); it != slots_.end();) {
            const std::int64_t deadline = it->deadline_ns;
            if (deadline == 0 || deadline > now) {
                ++it;
                continue;
            }
            it->deadline_ns = 0;
            it->cut = true;
            try {
                it->socket.shutdown();
            } catch (const Poco::Exception&) {
                // Already closed by the peer.
            }
            log_.write(sdk::LogLevel::info, "connection cut: too slow",
                       {{"client", it->client},
                        {"waiting_for", it->served ? "request headers or body" : "a thread"}});
            // One still waiting for a thread is closed when a thread takes it; it is no longer
            // counted from now.
            if (it->served) {
                ++it;
            } else {
                erase(it++);
            }
        }
    }
}

}  // namespace visiongw::core
