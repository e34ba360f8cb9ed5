#include "submit_support.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketStream.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/String.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "test_services.h"

namespace visiongw::testing {
namespace {

using namespace std::chrono_literals;

std::string shell_quote(const std::string& text) {
    std::string quoted = "'";
    for (char c : text)
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

std::string analyze_url(const GatewayProcess& gateway) {
    return "http://127.0.0.1:" + std::to_string(gateway.port()) + kAnalyzePath;
}

void rabbitmqctl(const std::string& command) {
    const std::string line =
        "rabbitmqctl -q -n " + shell_quote(rabbit_node()) + " " + command + " >/dev/null 2>&1";
    if (run_command(line) != 0)
        throw std::runtime_error("failed: " + line);
}

std::string redis_cli(const std::string& arguments) {
    return command_output("redis-cli -p " + redis_port() + " " + arguments + " 2>/dev/null");
}

bool redis_answers() {
    return redis_cli("ping").rfind("PONG", 0) == 0;
}

// The second line of `redis-cli --raw config get NAME`: the setting's value.
std::string redis_setting(const std::string& name) {
    std::istringstream lines(redis_cli("--raw config get " + name));
    std::string line;
    std::getline(lines, line);
    std::getline(lines, line);
    return line;
}

}  // namespace

Poco::JSON::Object::Ptr parse_object(const std::string& json) {
    return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

std::string sha256_hex(const std::string& bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
    std::ostringstream hex;
    for (unsigned int i = 0; i < length; ++i) {
        hex << std::hex << std::setw(2) << std::setfill('0') << static_cast<int>(digest[i]);
    }
    return hex.str();
}

std::string png_claiming(std::uint32_t width, std::uint32_t height) {
    // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4), 5 more bytes, CRC (4).
    constexpr std::size_t kType = 12, kWidth = 16, kCrc = 29;
    std::string png = make_png(4, 4);
    auto put_u32 = [&](std::size_t at, std::uint32_t value) {
        for (int i = 0; i < 4; ++i)
            png[at + i] = static_cast<char>(value >> (24 - 8 * i));
    };
    put_u32(kWidth, width);
    put_u32(kWidth + 4, height);
    put_u32(kCrc, static_cast<std::uint32_t>(
                      crc32(0, reinterpret_cast<const Bytef*>(png.data() + kType), kCrc - kType)));
    return png;
}

Footprint footprint_of(const GatewayProcess& gateway) {
    return {gateway.stored_files(), gateway.redis_keys(), gateway.queue_depth()};
}

Footprint operator-(const Footprint& later, const Footprint& earlier) {
    EXPECT_GE(later.files, earlier.files);
    EXPECT_GE(later.keys, earlier.keys);
    EXPECT_GE(later.messages, earlier.messages);
    return {later.files - earlier.files, later.keys - earlier.keys,
            later.messages - earlier.messages};
}

void PrintTo(const Footprint& footprint, std::ostream* out) {
    *out << "{files " << footprint.files << ", redis keys " << footprint.keys
         << ", queued messages " << footprint.messages << "}";
}

amqp::Topology topology_of(const GatewayProcess& gateway) {
    // The generated names are "vgwtest.<suffix>.jobs", "vgwtest.<suffix>.events", …
    const std::string& queue = gateway.queue();
    const std::string stem = queue.substr(0, queue.rfind('.') + 1);
    amqp::Topology topology;
    topology.exchange = gateway.exchange();
    topology.queue = queue;
    topology.events_exchange = topology.events_queue = stem + "events";
    topology.cancel_exchange = stem + "cancel";
    topology.cancel_stream = stem + "cancellations";
    return topology;
}

amqp::AmqpConnection connect_broker() {
    return amqp::AmqpConnection(amqp::parse_broker_url(amqp_url()), amqp::ConnectionOptions{});
}

void remove_service_state(const GatewayProcess& gateway) {
    const amqp::Topology topology = topology_of(gateway);
    amqp::AmqpConnection connection = connect_broker();
    for (const std::string& queue : {topology.queue, topology.dead_letter_queue(),
                                     topology.events_queue, topology.cancel_stream}) {
        connection.delete_queue(queue);
    }
    for (const std::string& exchange : {topology.exchange, topology.dead_letter_exchange(),
                                        topology.events_exchange, topology.cancel_exchange}) {
        connection.delete_exchange(exchange);
    }
    redis_cli("--scan --pattern " + shell_quote(gateway.key_prefix() + "*") +
              " | xargs -r redis-cli -p " + redis_port() + " del >/dev/null");
}

MultipartBody leaf_form(const std::string& image) {
    return MultipartBody()
        .field("analysis_type", "pest")
        .file("image", "leaf.png", "image/png", image);
}

HttpAnswer submit(const GatewayProcess& gateway, const MultipartBody& form) {
    return post_form(gateway.port(), kAnalyzePath, form);
}

HttpAnswer submit_chunked(const GatewayProcess& gateway, const MultipartBody& form) {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(gateway.port()));
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, kAnalyzePath,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType(form.content_type());
    request.setChunkedTransferEncoding(true);
    session.sendRequest(request) << form.str();
    return receive_answer(session);
}

namespace {

// A raw connection that sent the headers of `form` (with its full Content-Length) and the first
// `bytes` of its body.
Poco::Net::StreamSocket start_upload(const GatewayProcess& gateway, const MultipartBody& form,
                                     std::size_t bytes) {
    const std::string body = form.str();
    Poco::Net::StreamSocket socket(
        Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(gateway.port())));
    Poco::Net::SocketStream stream(socket);
    stream << "POST " << kAnalyzePath
           << " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " << form.content_type()
           << "\r\nContent-Length: " << body.size() << "\r\n\r\n"
           << body.substr(0, bytes);
    stream.flush();
    return socket;
}

}  // namespace

void submit_cut_short(const GatewayProcess& gateway, const MultipartBody& form, std::size_t bytes) {
    start_upload(gateway, form, bytes).close();
}

std::string answer_to_partial_upload(const GatewayProcess& gateway, const MultipartBody& form,
                                     std::size_t bytes, std::chrono::seconds timeout) {
    Poco::Net::StreamSocket socket = start_upload(gateway, form, bytes);
    socket.setReceiveTimeout(Poco::Timespan(static_cast<long>(timeout.count()), 0));
    char buffer[256];
    int received = 0;
    try {
        received = socket.receiveBytes(buffer, sizeof buffer);
    } catch (const Poco::TimeoutException&) {
        // No answer: the empty status line says so.
    }
    socket.close();
    const std::string answer(buffer, static_cast<std::size_t>(std::max(received, 0)));
    return answer.substr(0, answer.find("\r\n"));
}

std::string curl_expect_continue(const GatewayProcess& gateway, const std::string& image_path) {
    return command_output(
        "curl -s -o /dev/null -w '%{http_code} %{size_upload}' --max-time 20 "
        "-H 'Expect: 100-continue' -F analysis_type=pest -F " +
        shell_quote("image=@" + image_path + ";type=image/png") + " " + analyze_url(gateway));
}

std::string expect_error(const HttpAnswer& answer, int status, const std::string& code) {
    EXPECT_EQ(answer.status, status) << answer.body;
    EXPECT_EQ(answer.header("content-type").rfind("application/json", 0), 0u)
        << answer.header("content-type");
    EXPECT_FALSE(answer.header("x-request-id").empty());
    try {
        auto error = parse_object(answer.body)->getObject("error");
        EXPECT_EQ(error->getValue<std::string>("code"), code) << answer.body;
        EXPECT_EQ(error->getValue<std::string>("request_id"), answer.header("x-request-id"));
        return error->getValue<std::string>("message");
    } catch (const std::exception& e) {
        ADD_FAILURE() << "not an error answer of the API (" << e.what() << "): " << answer.body;
        return {};
    }
}

JobQueueReader::JobQueueReader(const GatewayProcess& gateway) : connection_(connect_broker()) {
    connection_.set_prefetch(16);
    connection_.consume(gateway.queue());
}

amqp::Delivery JobQueueReader::take(const std::string& job_id, std::chrono::milliseconds timeout) {
    for (auto deadline = std::chrono::steady_clock::now() + timeout;
         std::chrono::steady_clock::now() < deadline;) {
        auto event = connection_.next_event(100ms);
        if (auto* delivery = event ? std::get_if<amqp::Delivery>(&*event) : nullptr) {
            connection_.ack(delivery->delivery_tag);
            if (delivery->properties.message_id == job_id)
                return std::move(*delivery);
        }
    }
    ADD_FAILURE() << "no message of job " << job_id << " on the job queue within "
                  << timeout.count() << " ms";
    return {};
}

void publish_worker_event(const GatewayProcess& gateway, const std::string& event) {
    amqp::AmqpConnection connection = connect_broker();
    amqp::MessageProperties properties;
    properties.content_type = "application/json";
    properties.delivery_mode = amqp::kPersistent;
    connection.publish(topology_of(gateway).events_exchange, amqp::kEventRoutingKey, properties,
                       event, false);
}

BrokerOutage::BrokerOutage() {
    rabbitmqctl("stop_app");
}

BrokerOutage::~BrokerOutage() {
    try {
        rabbitmqctl("start_app");
        rabbitmqctl("await_startup");
    } catch (const std::exception& e) {
        ADD_FAILURE() << "the test broker did not come back: " << e.what();
    }
}

RedisOutage::RedisOutage()
    : state_dir_(std::filesystem::path(redis_setting("dir")).parent_path().string()) {
    if (state_dir_.empty())
        throw std::runtime_error("cannot read the test Redis's folder");
    redis_cli("shutdown nosave");
    if (!eventually([] { return !redis_answers(); }, 5s)) {
        throw std::runtime_error("the test Redis did not shut down");
    }
}

RedisOutage::~RedisOutage() {
    const std::string restart = "VISIONGW_STATE=" + shell_quote(state_dir_) +
                                " VISIONGW_REDIS_PORT=" + redis_port() + " bash -c " +
                                shell_quote(std::string("source ") + VISIONGW_TEST_SOURCE_DIR +
                                            "/scripts/lib/common.sh && start_redis");
    if (run_command(restart) != 0 || !redis_answers()) {
        ADD_FAILURE() << "the test Redis did not come back: " << restart;
    }
}

std::unique_ptr<GatewayProcess> GatewaySuite::gateway_;

void GatewaySuite::start_gateway(std::map<std::string, std::string> sections) {
    gateway_ = std::make_unique<GatewayProcess>(std::move(sections));
    gateway_->start();
}

void GatewaySuite::SetUp() {
    ASSERT_TRUE(gateway_ && gateway_->running()) << "the gateway is not running:\n"
                                                 << (gateway_ ? gateway_->output() : std::string());
}

void GatewaySuite::TearDownTestSuite() {
    stop_and_clean(gateway_);
}

void stop_and_clean(std::unique_ptr<GatewayProcess>& gateway) {
    if (!gateway)
        return;
    if (gateway->running())
        gateway->stop();
    try {
        remove_service_state(*gateway);
    } catch (const std::exception& e) {
        std::cerr << "cleanup of the gateway's broker objects and keys failed: " << e.what()
                  << '\n';
    }
    gateway.reset();
}

}  // namespace visiongw::testing
