#include "vision_service.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>

namespace visiongw::testing {
namespace {

// The longest a held request waits when the test never releases it.
constexpr auto kLongestHold = std::chrono::seconds(60);

// Bound without SO_REUSEPORT, on a port the kernel picks.
Poco::Net::ServerSocket listening_socket(Poco::Net::ServerSocket socket = {}) {
    socket.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true, false);
    socket.listen(64);
    return socket;
}

Poco::Net::ServerSocket tls_listening_socket(const TlsIdentity& identity) {
    Poco::Net::initializeSSL();
    Poco::Net::Context::Ptr context(
        new Poco::Net::Context(Poco::Net::Context::SERVER_USE, identity.key_file,
                               identity.certificate_file, "", Poco::Net::Context::VERIFY_NONE));
    return listening_socket(Poco::Net::SecureServerSocket(context));
}

}  // namespace

class VisionService::Handler : public Poco::Net::HTTPRequestHandler {
public:
    explicit Handler(VisionService& service) : service_(service) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        // Counted from the start, so the service's end waits for every handler that runs.
        struct Active {
            VisionService& service;
            explicit Active(VisionService& s) : service(s) {
                std::lock_guard lock(service.mutex_);
                ++service.active_;
            }
            ~Active() {
                std::lock_guard lock(service.mutex_);
                --service.active_;
                service.changed_.notify_all();
            }
        } active(service_);
        std::string body;
        Poco::StreamCopier::copyToString(request.stream(), body);
        std::unique_lock lock(service_.mutex_);
        const int index = static_cast<int>(service_.bodies_.size());
        service_.bodies_.push_back(std::move(body));
        auto& headers = service_.headers_.emplace_back();
        for (const auto& [name, value] : request)
            headers[Poco::toLower(name)] = value;
        service_.changed_.notify_all();
        lock.unlock();
        const ServiceReply reply = service_.script_(index);
        lock.lock();
        if (reply.hold || reply.delay.count() > 0) {
            service_.changed_.wait_for(lock, reply.hold ? kLongestHold : reply.delay,
                                       [&] { return service_.released_; });
        }
        lock.unlock();
        try {
            response.setStatusAndReason(
                static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
            response.setContentType("application/json");
            response.setKeepAlive(false);
            response.sendBuffer(reply.body.data(), reply.body.size());
        } catch (const Poco::Exception&) {
            // The caller gave up (timeout, killed worker): nobody reads the answer.
        }
    }

private:
    VisionService& service_;
};

class VisionService::Factory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Factory(VisionService& service) : service_(service) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
        return new Handler(service_);
    }

private:
    VisionService& service_;
};

VisionService::VisionService(Script script)
    : script_(std::move(script)),
      socket_(listening_socket()),
      server_(new Factory(*this), socket_, new Poco::Net::HTTPServerParams) {
    server_.start();
}

VisionService::VisionService(Script script, const TlsIdentity& identity)
    : script_(std::move(script)),
      socket_(tls_listening_socket(identity)),
      server_(new Factory(*this), socket_, new Poco::Net::HTTPServerParams) {
    server_.start();
}

int VisionService::port() const {
    return socket_.address().port();
}

VisionService::~VisionService() {
    release();
    server_.stopAll(true);
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return active_ == 0; });
}

std::string VisionService::url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
}

std::vector<std::string> VisionService::bodies() const {
    std::lock_guard lock(mutex_);
    return bodies_;
}

std::vector<std::pair<std::string, std::string>> VisionService::trace_headers() const {
    std::vector<std::pair<std::string, std::string>> trace;
    for (auto& headers : this->headers())
        trace.emplace_back(headers["traceparent"], headers["tracestate"]);
    return trace;
}

std::vector<std::map<std::string, std::string>> VisionService::headers() const {
    std::lock_guard lock(mutex_);
    return headers_;
}

int VisionService::requests() const {
    std::lock_guard lock(mutex_);
    return static_cast<int>(bodies_.size());
}

bool VisionService::wait_for_requests(int count, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout,
                             [&] { return static_cast<int>(bodies_.size()) >= count; });
}

void VisionService::release() {
    {
        std::lock_guard lock(mutex_);
        released_ = true;
    }
    changed_.notify_all();
}

}  // namespace visiongw::testing
