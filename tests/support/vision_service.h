// A stand-in for VISION_SERVICE_URL and LLM_SERVICE_URL (and a webhook receiver) inside the test
// process: an HTTP server whose answer to the n-th request (from 0) a script decides, and which can
// hold a request open for a while or until the test releases it — how the tests keep a job
// "running" for as long as they need.
#pragma once

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/ServerSocket.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace visiongw::testing {

struct ServiceReply {
    int status = 200;
    std::string body = "{}";
    // Answer only after release() (or the service's end); until then the request hangs.
    bool hold = false;
    // Answer only after this long (or release(), or the service's end).
    std::chrono::milliseconds delay{0};
};

// The files of a PEM certificate and its key, for a service that speaks HTTPS.
struct TlsIdentity {
    std::string certificate_file;
    std::string key_file;
};

class VisionService {
public:
    using Script = std::function<ServiceReply(int request_index)>;

    explicit VisionService(Script script);
    // The same over HTTPS with `identity`.
    VisionService(Script script, const TlsIdentity& identity);
    // Releases held requests, stops the server and waits for its handlers.
    ~VisionService();
    VisionService(const VisionService&) = delete;
    VisionService& operator=(const VisionService&) = delete;

    // The service's URL with `path` (http, 127.0.0.1).
    std::string url(const std::string& path = "/analyze") const;
    int port() const;
    // The bodies of the requests received so far.
    std::vector<std::string> bodies() const;
    // The `traceparent` and `tracestate` headers of the requests received so far, in order
    // ("" when absent).
    std::vector<std::pair<std::string, std::string>> trace_headers() const;
    // Every header of each request received so far, in order, by lower-case name.
    std::vector<std::map<std::string, std::string>> headers() const;
    int requests() const;
    // Waits until at least `count` requests arrived; false after `timeout`.
    bool wait_for_requests(int count, std::chrono::milliseconds timeout) const;
    // Lets every held request (and every later one) be answered.
    void release();

private:
    class Handler;
    class Factory;

    Script script_;
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::vector<std::string> bodies_;
    std::vector<std::map<std::string, std::string>> headers_;
    bool released_ = false;
    int active_ = 0;  // handlers running
    Poco::Net::ServerSocket socket_;
    Poco::Net::HTTPServer server_;
};

}  // namespace visiongw::testing
