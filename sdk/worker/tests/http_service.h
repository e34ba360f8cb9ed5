// A small HTTP service inside the test process, standing in for the vision and LLM services.
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace visiongw::worker::testing {

// What the service answers: status and body, after `delay`.
struct CannedAnswer {
    int status = 200;
    std::string body = "{}";
    std::chrono::milliseconds delay{0};
};

// Answers every POST with `answer(request_body)` and remembers the bodies it got.
class HttpService {
public:
    explicit HttpService(std::function<CannedAnswer(const std::string&)> answer)
        : answer_(std::move(answer)),
          socket_(listening_socket()),
          server_(new Factory(*this), pool_, socket_, new Poco::Net::HTTPServerParams) {
        server_.start();
    }
    // Waits for handlers still answering (a slow answer outlives its test otherwise).
    ~HttpService() {
        server_.stopAll(true);
        pool_.joinAll();
    }

    std::string url(const std::string& path = "/analyze") const {
        return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + path;
    }
    std::vector<std::string> bodies() const {
        std::lock_guard lock(mutex_);
        return bodies_;
    }

private:
    // Bound without SO_REUSEPORT (see PLATFORM-NOTES), on a port the kernel picks.
    static Poco::Net::ServerSocket listening_socket() {
        Poco::Net::ServerSocket socket;
        socket.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true, false);
        socket.listen(64);
        return socket;
    }

    class Handler : public Poco::Net::HTTPRequestHandler {
    public:
        explicit Handler(HttpService& service) : service_(service) {}
        void handleRequest(Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response) override {
            std::string body;
            Poco::StreamCopier::copyToString(request.stream(), body);
            {
                std::lock_guard lock(service_.mutex_);
                service_.bodies_.push_back(body);
            }
            CannedAnswer answer = service_.answer_(body);
            std::this_thread::sleep_for(answer.delay);
            response.setStatusAndReason(
                static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
            response.setContentType("application/json");
            response.setKeepAlive(false);
            response.sendBuffer(answer.body.data(), answer.body.size());
        }

    private:
        HttpService& service_;
    };

    class Factory : public Poco::Net::HTTPRequestHandlerFactory {
    public:
        explicit Factory(HttpService& service) : service_(service) {}
        Poco::Net::HTTPRequestHandler* createRequestHandler(
            const Poco::Net::HTTPServerRequest&) override {
            return new Handler(service_);
        }

    private:
        HttpService& service_;
    };

    std::function<CannedAnswer(const std::string&)> answer_;
    mutable std::mutex mutex_;
    std::vector<std::string> bodies_;
    Poco::Net::ServerSocket socket_;
    Poco::ThreadPool pool_;
    Poco::Net::HTTPServer server_;
};

}  // namespace visiongw::worker::testing
