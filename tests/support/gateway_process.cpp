#include "gateway_process.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "broker_control.h"
#include "redis_control.h"
#include "test_services.h"

extern char** environ;

namespace visiongw::testing {
namespace {

void put_u32(std::string& out, std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8)
        out += static_cast<char>((value >> shift) & 0xFF);
}

void png_chunk(std::string& out, const char* type, const std::string& data) {
    put_u32(out, static_cast<std::uint32_t>(data.size()));
    std::string typed = std::string(type, 4) + data;
    out += typed;
    put_u32(out, static_cast<std::uint32_t>(
                     crc32(0, reinterpret_cast<const Bytef*>(typed.data()), typed.size())));
}

}  // namespace

std::string HttpAnswer::header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
}

MultipartBody& MultipartBody::field(const std::string& name, const std::string& value) {
    body_ += "--" + boundary_ + "\r\nContent-Disposition: form-data; name=\"" + name +
             "\"\r\n\r\n" + value + "\r\n";
    return *this;
}

MultipartBody& MultipartBody::file(const std::string& name, const std::string& filename,
                                   const std::string& content_type, const std::string& bytes) {
    body_ += "--" + boundary_ + "\r\nContent-Disposition: form-data; name=\"" + name +
             "\"; filename=\"" + filename + "\"\r\nContent-Type: " + content_type + "\r\n\r\n" +
             bytes + "\r\n";
    return *this;
}

HttpAnswer http_request(int port, const std::string& method, const std::string& path,
                        const std::map<std::string, std::string>& headers, const std::string& body,
                        const std::string& content_type) {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : headers)
        request.set(name, value);
    if (!content_type.empty())
        request.setContentType(content_type);
    if (!body.empty() || method == "POST") {
        request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    session.sendRequest(request) << body;
    return receive_answer(session);
}

HttpAnswer receive_answer(Poco::Net::HTTPClientSession& session) {
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    HttpAnswer answer;
    answer.status = static_cast<int>(response.getStatus());
    for (const auto& [name, value] : response)
        answer.headers[Poco::toLower(name)] = value;
    std::ostringstream text;
    text << in.rdbuf();
    answer.body = text.str();
    return answer;
}

HttpAnswer post_form(int port, const std::string& path, const MultipartBody& form,
                     const std::map<std::string, std::string>& headers) {
    return http_request(port, "POST", path, headers, form.str(), form.content_type());
}

std::string make_png(int width, int height, unsigned seed) {
    std::string raw;
    std::mt19937 random(seed);
    for (int y = 0; y < height; ++y) {
        raw += '\0';
        for (int x = 0; x < width * 3; ++x)
            raw += static_cast<char>(random() & 0xFF);
    }
    std::vector<Bytef> packed(compressBound(raw.size()));
    uLongf packed_size = packed.size();
    compress(packed.data(), &packed_size, reinterpret_cast<const Bytef*>(raw.data()), raw.size());
    std::string png = "\x89PNG\r\n\x1a\n";
    std::string header;
    put_u32(header, static_cast<std::uint32_t>(width));
    put_u32(header, static_cast<std::uint32_t>(height));
    header += std::string("\x08\x02\x00\x00\x00", 5);
    png_chunk(png, "IHDR", header);
    png_chunk(png, "IDAT", std::string(reinterpret_cast<char*>(packed.data()), packed_size));
    png_chunk(png, "IEND", "");
    return png;
}

std::string build_dir() {
    return VISIONGW_TEST_BUILD_DIR;
}
std::string plugin_dir() {
    return VISIONGW_TEST_PLUGIN_DIR;
}
std::string gateway_binary() {
    return build_dir() + "/bin/visiongw";
}

GatewayRun run_gateway(const ScratchDir& scratch, const std::string& arguments,
                       const std::string& environment) {
    GatewayRun run;
    run.status =
        run_command("env " + environment + " timeout 20 " + gateway_binary() + " " + arguments +
                    " >" + scratch.file("stdout") + " 2>" + scratch.file("stderr"));
    run.out = scratch.read("stdout");
    run.err = scratch.read("stderr");
    return run;
}

GatewayProcess::GatewayProcess(std::map<std::string, std::string> extra_sections)
    : sections_(std::move(extra_sections)) {
    std::string suffix = unique_suffix();
    dir_ = (std::filesystem::temp_directory_path() / ("visiongw-test-" + suffix)).string();
    storage_root_ = dir_ + "/files";
    ini_path_ = dir_ + "/visiongw.ini";
    log_path_ = dir_ + "/gateway.log";
    topology_ = unique_topology();
    key_prefix_ = "vgwtest:" + suffix + ":";
    port_ = free_port();
    std::filesystem::create_directories(storage_root_);

    std::map<std::string, std::string> generated{
        {"gateway", "listen = 127.0.0.1:" + std::to_string(port_) +
                        "\nthreads = 32\nmax_queued = 64\nshutdown_grace_seconds = 10\n"
                        "max_event_streams = 8\n"},
        {"plugins", "dir = " + plugin_dir() + "\n"},
        {"local", "root = " + storage_root_ + "\nmin_free_bytes = 0\n"},
        {"redis", "url = " + redis_url() + "/0\nkey_prefix = " + key_prefix_ + "\n"},
        {"rabbitmq", "url = " + amqp_url() + "\nexchange = " + topology_.exchange + "\nqueue = " +
                         topology_.queue + "\nevents_exchange = " + topology_.events_exchange +
                         "\nevents_queue = " + topology_.events_queue +
                         "\ncancel_exchange = " + topology_.cancel_exchange +
                         "\ncancel_stream = " + topology_.cancel_stream + "\n"},
    };
    // The gateway refuses a section of a plugin it does not load: [local] goes with local only.
    if (auto plugins = sections_.find("plugins");
        plugins != sections_.end() && plugins->second.find("storage =") != std::string::npos) {
        generated.erase("local");
    }
    for (auto& [section, body] : sections_)
        generated[section] += body;
    std::ofstream ini(ini_path_);
    for (const auto& [section, body] : generated)
        ini << "[" << section << "]\n" << body << "\n";
}

GatewayProcess::~GatewayProcess() {
    if (running())
        stop(10);
    try {
        remove_service_state();
    } catch (const std::exception& e) {
        // The broker is away (an outage test stopped it): its objects stay.
        std::cerr << "cleanup of the gateway's broker objects and Redis keys failed: " << e.what()
                  << '\n';
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

void GatewayProcess::start() {
    std::vector<std::string> environment;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        std::string variable(*entry);
        bool override = false;
        for (const char* name :
             {"REDIS_URL=", "REDIS_SENTINEL", "RABBITMQ_", "FILE_STORAGE_", "AWS_",
              "VISIONGW_LISTEN=", "VISION_SERVICE_URL=", "LLM_SERVICE_URL="}) {
            override = override || variable.rfind(name, 0) == 0;
        }
        if (!override)
            environment.push_back(variable);
    }
    pid_ = spawn_logged({gateway_binary(), "--config=" + ini_path_}, std::move(environment),
                        log_path_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        if (!running())
            throw std::runtime_error("visiongw exited at start:\n" + output());
        try {
            if (http_request(port_, "GET", "/health").status == 200)
                return;
        } catch (const std::exception&) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    throw std::runtime_error("visiongw did not answer /health within 30 s:\n" + output());
}

bool GatewayProcess::running() const {
    if (pid_ <= 0)
        return false;
    return waitpid(pid_, nullptr, WNOHANG) == 0;
}

int GatewayProcess::stop(int timeout_seconds) {
    if (pid_ <= 0)
        return -1;
    kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid_, SIGKILL);
            waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string GatewayProcess::output() const {
    return read_whole_file(log_path_);
}

std::size_t GatewayProcess::stored_files() const {
    std::size_t count = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(storage_root_)) {
        if (entry.is_regular_file())
            ++count;
    }
    return count;
}

std::size_t GatewayProcess::redis_keys() const {
    std::string keys = redis_cli("--scan --pattern " + shell_quote(key_prefix_ + "*"));
    return static_cast<std::size_t>(std::count(keys.begin(), keys.end(), '\n'));
}

// A passive declaration on a raw rabbitmq-c connection: amqp::AmqpConnection has no call that
// answers a queue's message count.
std::size_t GatewayProcess::queue_depth() const {
    std::string url = amqp_url();
    amqp_connection_info info;
    if (amqp_parse_url(url.data(), &info) != AMQP_STATUS_OK)
        throw std::runtime_error("bad url");
    amqp_connection_state_t connection = amqp_new_connection();
    amqp_socket_t* socket = amqp_tcp_socket_new(connection);
    timeval connect_timeout{2, 0}, rpc_timeout{5, 0};
    if (amqp_socket_open_noblock(socket, info.host, info.port, &connect_timeout) !=
        AMQP_STATUS_OK) {
        amqp_destroy_connection(connection);
        throw std::runtime_error("cannot reach RabbitMQ");
    }
    amqp_set_rpc_timeout(connection, &rpc_timeout);
    amqp_login(connection, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, info.user, info.password);
    amqp_channel_open(connection, 1);
    auto* declared = amqp_queue_declare(connection, 1, amqp_cstring_bytes(topology_.queue.c_str()),
                                        1, 0, 0, 0, amqp_empty_table);
    const std::size_t depth = declared ? declared->message_count : 0;
    const amqp_rpc_reply_t reply = amqp_get_rpc_reply(connection);
    amqp_connection_close(connection, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(connection);
    if (reply.reply_type != AMQP_RESPONSE_NORMAL)
        throw std::runtime_error("queue not declared");
    return depth;
}

void GatewayProcess::remove_service_state() const {
    delete_redis_keys(key_prefix_);
    amqp::AmqpConnection connection = connect_test_broker();
    delete_topology(connection, topology_);
}

}  // namespace visiongw::testing
