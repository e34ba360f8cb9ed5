#include "http/connection_guard.h"

#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/TCPServerConnection.h>

namespace visiongw::core {
namespace {

thread_local ConnectionGuard::Slot* current_slot = nullptr;
thread_local std::chrono::milliseconds current_timeout{0};

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void start_deadline() {
    if (current_slot != nullptr) {
        current_slot->deadline_ns = steady_ns() + std::chrono::nanoseconds(current_timeout).count();
    }
}

// One HTTP connection, registered with the guard for its whole life.
class GuardedConnection : public Poco::Net::TCPServerConnection {
public:
    GuardedConnection(const Poco::Net::StreamSocket& socket, ConnectionGuard& guard,
                      std::chrono::milliseconds header_timeout,
                      Poco::Net::HTTPServerParams::Ptr params,
                      Poco::Net::HTTPRequestHandlerFactory::Ptr handlers)
        : TCPServerConnection(socket),
          guard_(guard),
          header_timeout_(header_timeout),
          params_(std::move(params)),
          handlers_(std::move(handlers)) {}

    void run() override {
        auto slot = guard_.enter(socket());
        current_slot = &*slot;
        current_timeout = header_timeout_;
        start_deadline();
        try {
            Poco::Net::HTTPServerConnection(socket(), params_, handlers_).run();
        } catch (...) {
            current_slot = nullptr;
            guard_.leave(slot);
            throw;
        }
        current_slot = nullptr;
        guard_.leave(slot);
    }

private:
    ConnectionGuard& guard_;
    std::chrono::milliseconds header_timeout_;
    Poco::Net::HTTPServerParams::Ptr params_;
    Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
};

class GuardedConnectionFactory : public Poco::Net::TCPServerConnectionFactory {
public:
    GuardedConnectionFactory(ConnectionGuard& guard, std::chrono::milliseconds header_timeout,
                             Poco::Net::HTTPServerParams::Ptr params,
                             Poco::Net::HTTPRequestHandlerFactory::Ptr handlers)
        : guard_(guard),
          header_timeout_(header_timeout),
          params_(std::move(params)),
          handlers_(std::move(handlers)) {}

    Poco::Net::TCPServerConnection* createConnection(
        const Poco::Net::StreamSocket& socket) override {
        return new GuardedConnection(socket, guard_, header_timeout_, params_, handlers_);
    }

private:
    ConnectionGuard& guard_;
    std::chrono::milliseconds header_timeout_;
    Poco::Net::HTTPServerParams::Ptr params_;
    Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
};

}  // namespace

ConnectionGuard::ConnectionGuard(std::chrono::milliseconds header_timeout)
    : header_timeout_(header_timeout), watchdog_([this] { watch(); }) {}

ConnectionGuard::~ConnectionGuard() {
    {
        std::lock_guard<std::mutex> guard(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    watchdog_.join();
}

void ConnectionGuard::request_started() {
    if (current_slot != nullptr)
        current_slot->deadline_ns = 0;
}

void ConnectionGuard::request_finished() {
    start_deadline();
}

Poco::Net::TCPServerConnectionFactory::Ptr ConnectionGuard::connection_factory(
    Poco::Net::HTTPServerParams::Ptr params, Poco::Net::HTTPRequestHandlerFactory::Ptr handlers) {
    return new GuardedConnectionFactory(*this, header_timeout_, std::move(params),
                                        std::move(handlers));
}

std::list<ConnectionGuard::Slot>::iterator ConnectionGuard::enter(
    const Poco::Net::StreamSocket& socket) {
    std::lock_guard<std::mutex> guard(mutex_);
    slots_.emplace_front(socket, 0);
    return slots_.begin();
}

void ConnectionGuard::leave(std::list<Slot>::iterator slot) {
    std::lock_guard<std::mutex> guard(mutex_);
    slots_.erase(slot);
}

std::size_t ConnectionGuard::open_connections() {
    std::lock_guard<std::mutex> guard(mutex_);
    return slots_.size();
}

void ConnectionGuard::abort_all() {
    std::lock_guard<std::mutex> guard(mutex_);
    for (auto& slot : slots_) {
        try {
            slot.socket.shutdown();
        } catch (const Poco::Exception&) {
            // Already closed by the peer.
        }
    }
}

void ConnectionGuard::watch() {
    std::unique_lock<std::mutex> guard(mutex_);
    while (!wake_.wait_for(guard, std::chrono::milliseconds(250), [this] { return stopping_; })) {
        std::int64_t now = steady_ns();
        for (auto& slot : slots_) {
            std::int64_t deadline = slot.deadline_ns;
            if (deadline != 0 && deadline < now) {
                slot.deadline_ns = 0;
                try {
                    slot.socket.shutdown();
                } catch (const Poco::Exception&) {
                    // Already closed by the peer.
                }
            }
        }
    }
}

}  // namespace visiongw::core
