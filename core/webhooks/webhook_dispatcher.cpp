#include "webhooks/webhook_dispatcher.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <pthread.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

#include "config/startup_error.h"
#include "jobs/job_json.h"
#include "visiongw/protocol/trace_context.h"
#include "webhooks/webhook_signature.h"

namespace visiongw::core {
namespace {

using Header = std::pair<std::string, std::string>;

// Certificates are checked against the system's CAs (OpenSSL's default paths, so SSL_CERT_FILE
// and SSL_CERT_DIR apply) and the URL's host name. VERIFY_STRICT, because with VERIFY_RELAXED
// Poco skips the host name check for `localhost` names and addresses.
Poco::Net::Context::Ptr tls_context() {
    static const Poco::Net::Context::Ptr context = [] {
        Poco::Net::initializeSSL();
        return Poco::Net::Context::Ptr(
            new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                                   Poco::Net::Context::VERIFY_STRICT, 9, true));
    }();
    return context;
}

// A session to `address` (never resolving the host again) that names the URL's host in Host
// and, for https, in SNI and the certificate check.
std::unique_ptr<Poco::Net::HTTPClientSession> session_to(const WebhookTarget& target,
                                                         const Poco::Net::IPAddress& address,
                                                         std::chrono::seconds timeout) {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (target.scheme == "https") {
        Poco::Net::SecureStreamSocket socket(tls_context());
        socket.setPeerHostName(target.host);
        session = std::make_unique<Poco::Net::HTTPSClientSession>(socket);
    } else {
        session = std::make_unique<Poco::Net::HTTPClientSession>();
    }
    session->setHost(address.toString());
    session->setPort(target.port);
    session->setTimeout(Poco::Timespan(static_cast<long>(timeout.count()), 0));
    return session;
}

// How many of a host's addresses a delivery tries (typically one IPv6 and one IPv4), so that it
// fits in its claim's lease.
constexpr std::size_t kAddressesTried = 2;

// POSTs `body` to the first of the checked addresses of `target` (at most kAddressesTried) that
// takes the request. Returns an empty text for a 2xx answer, else what went wrong; redirects
// are not followed.
std::string post(const WebhookTarget& target, const std::string& body,
                 const std::vector<Header>& headers, std::chrono::seconds timeout) {
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, target.path_and_query,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setHost(target.host, target.port);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    request.set("User-Agent", "visiongw-webhook/1");
    request.set("Connection", "close");
    for (const auto& [name, value] : headers)
        request.set(name, value);
    std::string error = "callback host has no address";
    for (std::size_t i = 0; i < std::min(target.addresses.size(), kAddressesTried); ++i) {
        const Poco::Net::IPAddress& address = target.addresses[i];
        auto session = session_to(target, address, timeout);
        try {
            session->sendRequest(request) << body;
        } catch (const Poco::Exception& e) {
            error = address.toString() + ": " + e.displayText();
            continue;  // not taken here: the next address
        }
        try {
            Poco::Net::HTTPResponse response;
            std::istream& answer = session->receiveResponse(response);
            // Read a little of the answer, so the receiver sees it taken; the rest is dropped.
            char ignored[4096];
            answer.read(ignored, sizeof ignored);
            const int status = response.getStatus();
            if (status >= 200 && status < 300)
                return "";
            return "HTTP " + std::to_string(status) + " " + response.getReason();
        } catch (const Poco::Exception& e) {
            return address.toString() + ": " + e.displayText();
        }
    }
    return error;
}

}  // namespace

std::optional<std::chrono::milliseconds> RetrySchedule::delay_after(int attempts) const {
    std::chrono::milliseconds delay = first;
    std::chrono::milliseconds total = first;
    for (int i = 2; i <= attempts; ++i) {
        delay = std::min(delay * 2, max);
        total += delay;
    }
    if (total > give_up_after)
        return std::nullopt;
    return delay;
}

const std::string& WebhookSecrets::for_tenant(const std::string& tenant) const {
    auto own = by_tenant.find(tenant);
    return own == by_tenant.end() ? global : own->second;
}

WebhookSecrets load_webhook_secrets(std::string global, const std::string& file) {
    WebhookSecrets secrets{std::move(global), {}};
    if (file.empty())
        return secrets;
    std::ifstream in(file);
    if (!in)
        throw StartupError(file + ": cannot read the webhook tenant secrets file");
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        std::istringstream fields(line);
        std::string tenant, secret, extra;
        if (!(fields >> tenant) || tenant.starts_with('#'))
            continue;
        const std::string where = file + ":" + std::to_string(number) + ": ";
        if (!(fields >> secret) || (fields >> extra))
            throw StartupError(where + "must be '<tenant> <secret>'");
        if (secret.size() < 16)
            throw StartupError(where + "the secret of tenant '" + tenant +
                               "' is shorter than 16 bytes");
        if (!secrets.by_tenant.emplace(tenant, secret).second)
            throw StartupError(where + "tenant '" + tenant + "' has a secret already");
    }
    return secrets;
}

WebhookDispatcher::WebhookDispatcher(sdk::WebhookOutbox& outbox, const CallbackPolicy& policy,
                                     WebhookSecrets secrets, WebhookDispatchSettings settings,
                                     WebhookObserver observer)
    : outbox_(outbox),
      policy_(policy),
      secrets_(std::move(secrets)),
      settings_(settings),
      observer_(std::move(observer)) {}

void WebhookDispatcher::start() {
    thread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "vgw-webhooks");  // as top -H and perf show it
        std::unique_lock<std::mutex> guard(mutex_);
        while (!stopping_) {
            woken_ = false;
            guard.unlock();
            deliver_due();
            guard.lock();
            wake_.wait_for(guard, settings_.poll_interval, [this] { return stopping_ || woken_; });
        }
    });
}

void WebhookDispatcher::stop() {
    {
        std::lock_guard<std::mutex> guard(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
        thread_.join();
}

void WebhookDispatcher::wake() {
    {
        std::lock_guard<std::mutex> guard(mutex_);
        woken_ = true;
    }
    wake_.notify_all();
}

void WebhookDispatcher::deliver_due() {
    // Long enough for a lookup, the connects to kAddressesTried addresses, the send and the
    // answer of one delivery; one that takes longer may be sent again by another claim.
    const auto lease = std::chrono::milliseconds(settings_.timeout * (kAddressesTried + 2) +
                                                 std::chrono::seconds(10));
    while (true) {
        {
            std::lock_guard<std::mutex> guard(mutex_);
            if (stopping_)
                return;
        }
        std::vector<sdk::JobRecord> claimed;
        try {
            claimed = outbox_.claim_due_webhooks(lease, 1);
        } catch (const std::exception& e) {
            if (!outbox_failing_ && observer_.outbox_failed)
                observer_.outbox_failed(std::string("claiming due webhooks failed: ") + e.what());
            outbox_failing_ = true;
            return;
        }
        outbox_failing_ = false;
        if (claimed.empty())
            return;
        deliver(claimed.front());
    }
}

void WebhookDispatcher::deliver(const sdk::JobRecord& job) {
    sdk::WebhookAttempt attempt;
    attempt.attempt = job.webhook.attempts + 1;
    std::string span_id;
    try {
        // Checked again now: the host may resolve elsewhere than at submit (DNS rebinding).
        const WebhookTarget target = policy_.check(job.callback_url);
        const std::string body = webhook_payload_json(job);
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        std::vector<Header> headers{
            {"X-Visiongw-Signature", webhook_signature(secrets_.for_tenant(job.tenant), now, body)},
            {"X-Visiongw-Job-Id", job.id},
            {"X-Request-ID", job.request_id}};
        if (auto parent = protocol::parse_traceparent(job.traceparent)) {
            const protocol::TraceParent span{parent->trace_id, protocol::random_span_id(),
                                             parent->flags};
            span_id = span.span_id;
            headers.emplace_back("traceparent", span.header());
            if (!job.tracestate.empty())
                headers.emplace_back("tracestate", job.tracestate);
        }
        attempt.error = post(target, body, headers, settings_.timeout);
    } catch (const std::exception& e) {
        attempt.error = e.what();
    }
    attempt.delivered = attempt.error.empty();
    if (!attempt.delivered)
        attempt.retry_after = settings_.retry.delay_after(attempt.attempt);
    bool recorded = false;
    try {
        recorded = outbox_.record_webhook_attempt(job.id, attempt);
    } catch (const std::exception& e) {
        // The claim's lease runs out and the webhook is tried again.
        if (observer_.outbox_failed)
            observer_.outbox_failed("recording webhook attempt " + std::to_string(attempt.attempt) +
                                    " of job " + job.id + " failed: " + e.what());
        return;
    }
    if (observer_.attempted)
        observer_.attempted(job, attempt, span_id, recorded);
}

}  // namespace visiongw::core
