// A real `visiongw` process for integration tests: a generated ini (temp storage folder, the
// test Redis and RabbitMQ, unique queue and key names), a free port, started and stopped like an
// operator would, plus a small HTTP client and multipart builder to talk to it.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "files.h"
#include "processes.h"
#include "visiongw/amqp/topology.h"

namespace Poco::Net {
class HTTPClientSession;
}

namespace visiongw::testing {

struct HttpAnswer {
    int status = 0;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
    std::string header(const std::string& name) const;
};

// One multipart/form-data body.
class MultipartBody {
public:
    MultipartBody& field(const std::string& name, const std::string& value);
    MultipartBody& file(const std::string& name, const std::string& filename,
                        const std::string& content_type, const std::string& bytes);
    std::string content_type() const { return "multipart/form-data; boundary=" + boundary_; }
    std::string str() const { return body_ + "--" + boundary_ + "--\r\n"; }

private:
    std::string boundary_ = "visiongw-test-boundary-7d2f1a";
    std::string body_;
};

// Sends one request on a new connection; throws on connection failure.
HttpAnswer http_request(int port, const std::string& method, const std::string& path,
                        const std::map<std::string, std::string>& headers = {},
                        const std::string& body = "", const std::string& content_type = "");
// Reads the answer to a request already sent on `session`.
HttpAnswer receive_answer(Poco::Net::HTTPClientSession& session);
HttpAnswer post_form(int port, const std::string& path, const MultipartBody& form,
                     const std::map<std::string, std::string>& headers = {});

// A PNG of the given size whose pixels (and so bytes) depend on `seed`.
std::string make_png(int width, int height, unsigned seed = 0);

class GatewayProcess {
public:
    // `overrides` is extra ini text appended to the generated file, e.g.
    // "[upload]\nmax_file_size = 1000\n" (a section may appear only once: use the
    // `extra_sections` keys to replace a generated section's body). With a `storage =` line in
    // the extra [plugins] the generated [local] section is left out.
    explicit GatewayProcess(std::map<std::string, std::string> extra_sections = {});
    ~GatewayProcess();
    GatewayProcess(const GatewayProcess&) = delete;
    GatewayProcess& operator=(const GatewayProcess&) = delete;

    // Starts the gateway and waits until /health answers; throws with its output otherwise.
    void start();
    // SIGTERM, then waits for the exit code (SIGKILL after `timeout_seconds`).
    int stop(int timeout_seconds = 30);
    bool running() const;

    int port() const { return port_; }
    int pid() const { return pid_; }
    const std::string& storage_root() const { return storage_root_; }
    const std::string& ini_path() const { return ini_path_; }
    // The exchanges, queues and stream of the generated [rabbitmq] section.
    const amqp::Topology& topology() const { return topology_; }
    const std::string& key_prefix() const { return key_prefix_; }
    // Everything the process wrote to stdout and stderr so far.
    std::string output() const;

    // The number of files under the storage root (including its temporary folder).
    std::size_t stored_files() const;
    // The number of Redis keys under this gateway's key prefix.
    std::size_t redis_keys() const;
    // Messages ready in this gateway's job queue.
    std::size_t queue_depth() const;

private:
    // Deletes its queues, exchanges and Redis keys (best effort), so test runs do not pile up
    // objects in the shared test services.
    void remove_service_state() const;

    std::map<std::string, std::string> sections_;
    std::string dir_;
    std::string storage_root_;
    std::string ini_path_;
    std::string log_path_;
    amqp::Topology topology_;
    std::string key_prefix_;
    int port_ = 0;
    int pid_ = -1;
};

// What one run of the visiongw binary did.
struct GatewayRun {
    int status = -1;
    std::string out;
    std::string err;
};

// Runs `visiongw ARGUMENTS` (shell syntax) with `environment` ("VAR=value ...") added, its
// output kept in `scratch`, for at most 20 s (a gateway that starts serving when it should not
// ends with status 124).
GatewayRun run_gateway(const ScratchDir& scratch, const std::string& arguments,
                       const std::string& environment = "");

// The built `visiongw` and plugin folder of this build tree.
std::string gateway_binary();
std::string build_dir();
std::string plugin_dir();

}  // namespace visiongw::testing
