#include "gateway_support.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketStream.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/String.h>
#include <zlib.h>

#include <algorithm>

namespace visiongw::testing {
namespace {

using namespace std::chrono_literals;

std::string analyze_url(const GatewayProcess& gateway) {
    return "http://127.0.0.1:" + std::to_string(gateway.port()) + kAnalyzePath;
}

}  // namespace

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

JobQueueReader::JobQueueReader(const GatewayProcess& gateway) : connection_(connect_test_broker()) {
    connection_.set_prefetch(16);
    connection_.consume(gateway.topology().queue);
}

amqp::Delivery JobQueueReader::take(const std::string& job_id, std::chrono::milliseconds timeout) {
    for (auto deadline = std::chrono::steady_clock::now() + timeout;
         std::chrono::steady_clock::now() < deadline;) {
        if (auto delivery = next_delivery(connection_, 100ms)) {
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
    amqp::AmqpConnection connection = connect_test_broker();
    amqp::MessageProperties properties;
    properties.content_type = "application/json";
    properties.delivery_mode = amqp::kPersistent;
    connection.publish(gateway.topology().events_exchange, amqp::kEventRoutingKey, properties,
                       event, false);
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
    gateway.reset();
}

}  // namespace visiongw::testing
