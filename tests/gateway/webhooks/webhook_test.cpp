// Completion webhooks end to end: a submit's callback_url gets the signed job JSON when the job
// reaches its final state, failed deliveries are retried from the job store (also across a
// gateway restart) until one succeeds, which is recorded once, and callback URLs off the
// allowlist or on private addresses are refused at submit, leaving nothing behind.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <csignal>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "gateway_support.h"
#include "json_object.h"
#include "operations_support.h"
#include "processes.h"
#include "redis_control.h"
#include "vision_service.h"

namespace visiongw::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "test-webhook-secret-0123";
constexpr const char* kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";

// The [webhooks] section of a gateway that may call back to this test process, with
// `overrides` of its keys.
std::string webhooks_section(const std::map<std::string, std::string>& overrides = {}) {
    std::map<std::string, std::string> keys{{"allowed_hosts", "127.0.0.1"},
                                            {"allow_private_addresses", "true"},
                                            {"secret", kSecret},
                                            {"first_retry_ms", "200"},
                                            {"poll_interval_ms", "100"},
                                            {"timeout_seconds", "2"}};
    for (const auto& [key, value] : overrides)
        keys[key] = value;
    std::string section;
    for (const auto& [key, value] : keys)
        section += key + " = " + value + "\n";
    return section;
}

// A self-signed certificate for `name` (the only name it holds), made by the openssl tool in
// `dir`.
TlsIdentity certificate_for(const std::string& name, const ScratchDir& dir) {
    TlsIdentity identity{dir.file(name + ".cert.pem"), dir.file(name + ".key.pem")};
    const std::string command =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=" + name +
        " -addext subjectAltName=DNS:" + name + " -keyout " + identity.key_file + " -out " +
        identity.certificate_file + " 2>/dev/null";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    return identity;
}

// The lowercase hex HMAC-SHA256 of `text` with `key`, computed here with OpenSSL directly.
std::string hmac_hex(const std::string& key, const std::string& text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest, &length);
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) {
        char pair[3];
        std::snprintf(pair, sizeof pair, "%02x", digest[i]);
        hex += pair;
    }
    return hex;
}

class WebhookTest : public ::testing::Test {
protected:
    void TearDown() override { stop_and_clean(gateway_); }

    // With `webhooks` as its [webhooks] section and `more` sections' lines added.
    void start_gateway(const std::string& webhooks, std::map<std::string, std::string> more = {}) {
        more["webhooks"] = webhooks;
        gateway_ = std::make_unique<GatewayProcess>(std::move(more));
        gateway_->start();
    }

    HttpAnswer submit_with_callback(const std::string& callback_url, unsigned seed,
                                    std::map<std::string, std::string> headers = {}) {
        MultipartBody body;
        body.field("analysis_type", "pest")
            .field("callback_url", callback_url)
            .file("image", "leaf.png", "image/png", make_png(16, 16, seed));
        return post_form(gateway_->port(), kAnalyzePath, body, headers);
    }

    std::string submit_job(const std::string& callback_url, unsigned seed,
                           std::map<std::string, std::string> headers = {}) {
        HttpAnswer answer = submit_with_callback(callback_url, seed, std::move(headers));
        EXPECT_EQ(answer.status, 202) << answer.body;
        return parse_object(answer.body)->getValue<std::string>("job_id");
    }

    void complete(const std::string& job_id) {
        publish_worker_event(*gateway_, R"({"schema_version":1,"job_id":")" + job_id +
                                            R"(","event":"completed","result":{"ok":true}})");
    }

    Poco::JSON::Object::Ptr job(const std::string& job_id) {
        return parse_object(http_request(gateway_->port(), "GET", job_path(job_id)).body);
    }

    // The job's webhook object as text, e.g. {"status":"delivered","attempts":1,...}.
    std::string webhook_of(const std::string& job_id) {
        auto webhook = job(job_id)->getObject("webhook");
        if (!webhook)
            return "none";
        std::ostringstream text;
        webhook->stringify(text);
        return text.str();
    }

    std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(WebhookTest, TheReceiverGetsTheSignedJobJsonWithItsTraceWhenTheJobCompletes) {
    VisionService receiver([](int) { return ServiceReply{204, ""}; });
    start_gateway(webhooks_section());
    const std::string job_id =
        submit_job(receiver.url("/hooks/done?x=1"), 1,
                   {{"traceparent", std::string("00-") + kTraceId + "-00f067aa0ba902b7-01"}});
    EXPECT_EQ(webhook_of(job_id), R"({"attempts":0,"last_error":null,"status":"pending"})");
    complete(job_id);
    ASSERT_TRUE(receiver.wait_for_requests(1, 10s));

    const std::string body = receiver.bodies().at(0);
    auto headers = receiver.headers().at(0);
    auto sent = parse_object(body);
    EXPECT_EQ(sent->getValue<std::string>("job_id"), job_id);
    EXPECT_EQ(sent->getValue<std::string>("status"), "completed");
    EXPECT_EQ(sent->getValue<std::string>("trace_id"), kTraceId);
    EXPECT_FALSE(sent->has("webhook"));
    EXPECT_EQ(headers["content-type"], "application/json");
    EXPECT_EQ(headers["x-visiongw-job-id"], job_id);

    // t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">, t close to now.
    const std::string signature = headers["x-visiongw-signature"];
    const auto comma = signature.find(",v1=");
    ASSERT_TRUE(signature.starts_with("t=") && comma != std::string::npos) << signature;
    const std::string t = signature.substr(2, comma - 2);
    EXPECT_EQ(signature.substr(comma + 4), hmac_hex(kSecret, t + "." + body));
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    EXPECT_LE(std::llabs(std::stoll(t) - now), 60) << t;
    EXPECT_NE(signature.substr(comma + 4), hmac_hex("another-secret-0123456", t + "." + body));

    // The delivery is a span of the job's trace of its own.
    const std::string traceparent = headers["traceparent"];
    EXPECT_TRUE(traceparent.starts_with(std::string("00-") + kTraceId + "-")) << traceparent;
    EXPECT_EQ(traceparent.find("00f067aa0ba902b7"), std::string::npos) << traceparent;

    EXPECT_TRUE(
        eventually([&] { return webhook_of(job_id).find("delivered") != std::string::npos; }, 5s));
    EXPECT_EQ(webhook_of(job_id), R"({"attempts":1,"last_error":null,"status":"delivered"})");
    EXPECT_EQ(gateway_->output().find("webhook outbox unavailable"), std::string::npos)
        << gateway_->output();
}

TEST_F(WebhookTest, AReceiverThatFailsTwiceThenSucceedsGetsExactlyOneSuccessRecorded) {
    VisionService receiver([](int index) {
        return index < 2 ? ServiceReply{500, "{}"} : ServiceReply{200, "ok"};
    });
    start_gateway(webhooks_section());
    const std::string job_id = submit_job(receiver.url("/hooks"), 2);
    ASSERT_EQ(http_request(gateway_->port(), "DELETE", job_path(job_id) + "/cancel").status, 200);

    ASSERT_TRUE(
        eventually([&] { return webhook_of(job_id).find("delivered") != std::string::npos; }, 15s))
        << webhook_of(job_id);
    EXPECT_EQ(webhook_of(job_id), R"({"attempts":3,"last_error":null,"status":"delivered"})");
    std::this_thread::sleep_for(1s);  // time for a duplicate delivery, which must not come
    EXPECT_EQ(receiver.requests(), 3);
    for (const std::string& body : receiver.bodies())
        EXPECT_EQ(parse_object(body)->getValue<std::string>("status"), "cancelled");

    const std::string metrics = http_request(gateway_->port(), "GET", "/health/metrics").body;
    EXPECT_NE(metrics.find("visiongw_webhook_deliveries_total{outcome=\"retry\"} 2"),
              std::string::npos)
        << metrics;
    EXPECT_NE(metrics.find("visiongw_webhook_deliveries_total{outcome=\"delivered\"} 1"),
              std::string::npos);
}

TEST_F(WebhookTest, AReceiverThatNeverAnswers2xxMakesTheWebhookFailedOnceTheRetriesAreOver) {
    VisionService receiver([](int) { return ServiceReply{410, "{}"}; });
    // Waits of 0.1, 0.2 and 0.4 s fit in 1 s; a fourth of 0.8 s would not.
    start_gateway(webhooks_section({{"first_retry_ms", "100"}, {"give_up_after_seconds", "1"}}));
    const std::string job_id = submit_job(receiver.url("/gone"), 9);
    complete(job_id);
    ASSERT_TRUE(
        eventually([&] { return webhook_of(job_id).find("failed") != std::string::npos; }, 10s))
        << webhook_of(job_id);
    EXPECT_EQ(webhook_of(job_id),
              R"({"attempts":4,"last_error":"HTTP 410 Gone","status":"failed"})");
    std::this_thread::sleep_for(1s);  // time for a fifth attempt, which must not come
    EXPECT_EQ(receiver.requests(), 4);
    const std::string metrics = http_request(gateway_->port(), "GET", "/health/metrics").body;
    EXPECT_NE(metrics.find("visiongw_webhook_deliveries_total{outcome=\"failed\"} 1"),
              std::string::npos)
        << metrics;
}

TEST_F(WebhookTest, APendingDeliveryIsRetriedByTheGatewayAfterARestart) {
    std::atomic<bool> accepting{false};
    VisionService receiver([&](int) {
        return accepting ? ServiceReply{200, "ok"} : ServiceReply{503, "{}"};
    });
    // A retry long enough to stop the gateway before it: the restarted one must find it.
    start_gateway(webhooks_section({{"first_retry_ms", "3000"}}));
    const std::string job_id = submit_job(receiver.url("/hooks"), 3);
    complete(job_id);
    ASSERT_TRUE(eventually(
        [&] { return webhook_of(job_id).find("\"attempts\":1") != std::string::npos; }, 10s))
        << webhook_of(job_id);
    EXPECT_NE(webhook_of(job_id).find("HTTP 503"), std::string::npos) << webhook_of(job_id);
    ASSERT_EQ(gateway_->stop(), 0);
    accepting = true;
    gateway_->start();

    ASSERT_TRUE(
        eventually([&] { return webhook_of(job_id).find("delivered") != std::string::npos; }, 15s))
        << webhook_of(job_id) << gateway_->output();
    EXPECT_EQ(webhook_of(job_id), R"({"attempts":2,"last_error":null,"status":"delivered"})");
    EXPECT_EQ(receiver.requests(), 2);
}

TEST_F(WebhookTest, AnHttpsCallbackIsDeliveredOnlyToACertificateOfTheUrlsHost) {
    ScratchDir dir;
    const TlsIdentity localhost = certificate_for("localhost", dir);
    const TlsIdentity other = certificate_for("other.invalid", dir);
    VisionService receiver([](int) { return ServiceReply{200, "ok"}; }, localhost);
    VisionService impostor([](int) { return ServiceReply{200, "ok"}; }, other);
    // The gateway trusts both certificates as if a CA had signed them (OpenSSL's SSL_CERT_FILE).
    const std::string trusted = dir.file("trusted.pem");
    ASSERT_EQ(std::system(("cat " + localhost.certificate_file + " " + other.certificate_file +
                           " > " + trusted)
                              .c_str()),
              0);
    ::setenv("SSL_CERT_FILE", trusted.c_str(), 1);
    start_gateway(webhooks_section({{"allowed_hosts", "localhost"}}));
    const std::string port = std::to_string(receiver.port());
    const std::string named = submit_job("https://localhost:" + port + "/hooks", 7);
    // A trusted certificate, but not for localhost: that delivery fails verification.
    const std::string misnamed =
        submit_job("https://localhost:" + std::to_string(impostor.port()) + "/hooks", 8);
    for (const std::string& job_id : {named, misnamed})
        ASSERT_EQ(http_request(gateway_->port(), "DELETE", job_path(job_id) + "/cancel").status,
                  200);

    ASSERT_TRUE(
        eventually([&] { return webhook_of(named).find("delivered") != std::string::npos; }, 10s))
        << webhook_of(named);
    ASSERT_TRUE(eventually(
        [&] { return webhook_of(misnamed).find("\"attempts\":1") != std::string::npos; }, 10s))
        << webhook_of(misnamed);
    const std::string refused = webhook_of(misnamed);
    EXPECT_NE(refused.find("pending"), std::string::npos) << refused;
    EXPECT_NE(refused.find("certificate"), std::string::npos) << refused;
    EXPECT_EQ(impostor.requests(), 0);
    ASSERT_EQ(receiver.requests(), 1);
    EXPECT_EQ(receiver.headers().at(0)["host"], "localhost:" + port);
    EXPECT_EQ(parse_object(receiver.bodies().at(0))->getValue<std::string>("job_id"), named);
}

TEST_F(WebhookTest, AJobStoreThatStopsAnsweringDelaysDeliveriesWithoutStoppingTheGateway) {
    // A Redis of this test's own, which it freezes without disturbing other tests.
    ScratchDir dir;
    RedisServer redis(std::to_string(free_port()), dir.path());
    redis.start();
    VisionService receiver([](int index) {
        return index == 0 ? ServiceReply{503, "{}"} : ServiceReply{200, "ok"};
    });
    // The [redis] lines come after the generated ones, and an ini's later value wins.
    start_gateway(
        webhooks_section({{"first_retry_ms", "1500"}, {"timeout_seconds", "1"}}),
        {{"redis", "url = redis://127.0.0.1:" + redis.port() + "/0\ntimeout_ms = 500\n"}});
    const std::string job_id = submit_job(receiver.url("/hooks"), 10);
    complete(job_id);
    ASSERT_TRUE(eventually(
        [&] { return webhook_of(job_id).find("\"attempts\":1") != std::string::npos; }, 10s))
        << webhook_of(job_id);

    ::kill(redis.pid(), SIGSTOP);  // the retry falls due while Redis does not answer
    std::this_thread::sleep_for(2500ms);
    const int read_status = http_request(gateway_->port(), "GET", job_path(job_id)).status;
    const int health_status = http_request(gateway_->port(), "GET", "/health").status;
    ::kill(redis.pid(), SIGCONT);
    EXPECT_EQ(read_status, 503);
    EXPECT_EQ(health_status, 200);

    // A claim Redis ran but answered too late (it was frozen) holds the webhook for its lease,
    // 4 x timeout_seconds + 10 s; then it comes back.
    EXPECT_TRUE(
        eventually([&] { return webhook_of(job_id).find("delivered") != std::string::npos; }, 30s))
        << webhook_of(job_id);
    EXPECT_EQ(receiver.requests(), 2);
    EXPECT_TRUE(gateway_->running());
    const std::string output = gateway_->output();
    const auto first = output.find("webhook outbox unavailable");
    EXPECT_NE(first, std::string::npos) << output;
    EXPECT_EQ(output.find("webhook outbox unavailable", first + 1), std::string::npos)
        << "reported once per outage:\n"
        << output;
    stop_and_clean(gateway_);
    redis.stop();
}

TEST_F(WebhookTest, ACallbackUrlOffTheAllowlistIsRefusedAndLeavesNothing) {
    start_gateway(webhooks_section());
    const Footprint before = footprint_of(*gateway_);
    const std::string message =
        expect_error(submit_with_callback("https://hooks.elsewhere.example/done", 4), 400,
                     "invalid_callback_url");
    EXPECT_NE(message.find("'hooks.elsewhere.example' is not on"), std::string::npos) << message;
    for (const std::string url : {"ftp://127.0.0.1/done", "http://user:pw@127.0.0.1/done",
                                  "http://127.0.0.1.nip.io/done", "not a url"}) {
        expect_error(submit_with_callback(url, 4), 400, "invalid_callback_url");
    }
    EXPECT_EQ(footprint_of(*gateway_), before);
}

TEST_F(WebhookTest, ALoopbackCallbackIsRefusedUnlessPrivateAddressesAreAllowed) {
    start_gateway(webhooks_section(
        {{"allowed_hosts", "127.0.0.1, localhost"}, {"allow_private_addresses", "false"}}));
    const Footprint before = footprint_of(*gateway_);
    for (const std::string url : {"http://127.0.0.1:9/done", "http://localhost:9/done"}) {
        const std::string message =
            expect_error(submit_with_callback(url, 5), 400, "invalid_callback_url");
        EXPECT_NE(message.find("non-public address"), std::string::npos) << message;
    }
    EXPECT_EQ(footprint_of(*gateway_), before);
}

TEST_F(WebhookTest, WithoutAnAllowlistACallbackUrlIsRefusedNamingTheConfig) {
    start_gateway("");
    const Footprint before = footprint_of(*gateway_);
    const std::string message = expect_error(
        submit_with_callback("https://hooks.example.com/done", 6), 400, "invalid_callback_url");
    EXPECT_NE(message.find("[webhooks] allowed_hosts"), std::string::npos) << message;
    EXPECT_EQ(footprint_of(*gateway_), before);
}

// With API keys on: each tenant's deliveries are signed with its own secret, or the global one.
class TenantWebhookTest : public OperationsTest {};

TEST_F(TenantWebhookTest, ATenantsOwnSecretSignsItsDeliveriesAndOthersGetTheGlobalOne) {
    VisionService receiver([](int) { return ServiceReply{200, "ok"}; });
    ScratchDir dir;
    const std::string acme_secret = "acme-webhook-secret-0123";
    std::ofstream(dir.file("tenant-secrets")) << "acme " << acme_secret << "\n";
    const ApiKey acme{"acme-key-0123456789", "acme", "client"};
    const ApiKey other{"other-key-0123456789", "other", "client"};
    start_gateway(
        {{"webhooks", webhooks_section({{"tenant_secrets_file", dir.file("tenant-secrets")}})}},
        {acme, other});
    std::map<std::string, std::string> secret_of_job;
    for (const auto& [key, secret] :
         {std::pair{acme, acme_secret}, std::pair{other, std::string(kSecret)}}) {
        MultipartBody form;
        form.field("analysis_type", "pest")
            .field("callback_url", receiver.url("/hooks"))
            .file("image", "leaf.png", "image/png", make_png(16, 16, 11));
        const std::string job_id = submit_job(form, key.bearer());
        secret_of_job[job_id] = secret;
        ASSERT_EQ(
            http_request(gateway().port(), "DELETE", job_path(job_id) + "/cancel", key.bearer())
                .status,
            200);
    }
    ASSERT_TRUE(receiver.wait_for_requests(2, 10s));
    const auto bodies = receiver.bodies();
    const auto headers = receiver.headers();
    for (std::size_t i = 0; i < 2; ++i) {
        auto request = headers[i];
        const std::string& secret = secret_of_job.at(request["x-visiongw-job-id"]);
        const std::string signature = request["x-visiongw-signature"];
        const auto comma = signature.find(",v1=");
        ASSERT_NE(comma, std::string::npos) << signature;
        EXPECT_EQ(signature.substr(comma + 4),
                  hmac_hex(secret, signature.substr(2, comma - 2) + "." + bodies[i]))
            << request["x-visiongw-job-id"];
    }
}

}  // namespace
}  // namespace visiongw::testing
