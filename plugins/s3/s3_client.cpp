#include "s3_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "visiongw/sdk/errors.h"

namespace visiongw::s3 {
namespace {

using Poco::Net::HTTPClientSession;

// Error documents and listing pages (1000 keys) fit well within this; more is not S3.
constexpr std::size_t kMaxAnswerBody = 4 * 1024 * 1024;
const std::string kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string query_string(const NameValues& query) {
    std::string out;
    for (const auto& [name, value] : query) {
        out += out.empty() ? "?" : "&";
        out += uri_encode(name, false) + "=" + uri_encode(value, false);
    }
    return out;
}

std::string read_bounded(std::istream& in) {
    std::string body;
    char buffer[16 * 1024];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        body.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (body.size() > kMaxAnswerBody)
            throw sdk::Unavailable("an S3 answer was longer than " +
                                   std::to_string(kMaxAnswerBody) + " bytes");
    }
    return body;
}

Poco::Net::Context::Ptr tls_context() {
    static const Poco::Net::Context::Ptr context = [] {
        Poco::Net::initializeSSL();
        return Poco::Net::Context::Ptr(
            new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                                   Poco::Net::Context::VERIFY_RELAXED, 9, true));
    }();
    return context;
}

// A GET's body, read straight from the connection it owns.
class ObjectStream final : public std::istream {
public:
    ObjectStream(std::unique_ptr<HTTPClientSession> session, std::istream& body)
        : std::istream(body.rdbuf()), session_(std::move(session)) {}

private:
    std::unique_ptr<HTTPClientSession> session_;
};

void decode_entities(std::string& text) {
    static const std::pair<std::string_view, char> kEntities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    for (const auto& [entity, character] : kEntities) {
        for (std::size_t at = text.find(entity); at != std::string::npos;
             at = text.find(entity, at + 1)) {
            text.replace(at, entity.size(), 1, character);
        }
    }
}

}  // namespace

std::optional<std::string> xml_text(std::string_view xml, std::string_view tag, std::size_t from) {
    const std::string open = "<" + std::string(tag) + ">";
    const std::string close = "</" + std::string(tag) + ">";
    const std::size_t start = xml.find(open, from);
    if (start == std::string_view::npos)
        return std::nullopt;
    const std::size_t end = xml.find(close, start + open.size());
    if (end == std::string_view::npos)
        return std::nullopt;
    std::string text(xml.substr(start + open.size(), end - start - open.size()));
    decode_entities(text);
    return text;
}

S3Client::S3Client(S3Settings settings)
    : settings_(std::move(settings)), signer_(settings_.credentials, settings_.region, "s3") {
    Poco::URI uri;
    try {
        uri = Poco::URI(settings_.endpoint);
    } catch (const Poco::Exception& e) {
        throw sdk::ConfigError("endpoint \"" + settings_.endpoint + "\": " + e.displayText());
    }
    if (uri.getScheme() != "http" && uri.getScheme() != "https")
        throw sdk::ConfigError("endpoint \"" + settings_.endpoint + "\": not an http(s) URL");
    if ((!uri.getPath().empty() && uri.getPath() != "/") || !uri.getQuery().empty() ||
        uri.getHost().empty()) {
        throw sdk::ConfigError("endpoint \"" + settings_.endpoint +
                               "\": expected scheme://host[:port] with no path or query");
    }
    https_ = uri.getScheme() == "https";
    host_ = settings_.virtual_host ? settings_.bucket + "." + uri.getHost() : uri.getHost();
    port_ = uri.getPort();
    host_header_ = host_;
    if (port_ != (https_ ? 443 : 80))
        host_header_ += ":" + std::to_string(port_);
}

S3Client::~S3Client() = default;

std::string S3Client::where() const {
    return "bucket " + settings_.bucket + " at " + settings_.endpoint;
}

std::string S3Client::describe(const S3Answer& answer) {
    std::string text = "S3 error " + xml_text(answer.body, "Code").value_or("(no code)") +
                       " (HTTP " + std::to_string(answer.status) + ")";
    if (auto message = xml_text(answer.body, "Message"))
        text += ": " + *message;
    return text;
}

std::string S3Client::path_of(std::string_view key) const {
    std::string path = settings_.virtual_host ? "" : "/" + settings_.bucket;
    if (!key.empty() || settings_.virtual_host)
        path += "/" + std::string(key);
    return path;
}

std::unique_ptr<HTTPClientSession> S3Client::acquire(bool& reused, bool fresh) {
    if (!fresh) {
        std::lock_guard<std::mutex> guard(mutex_);
        reused = !idle_.empty();
        if (reused) {
            auto session = std::move(idle_.back());
            idle_.pop_back();
            return session;
        }
    }
    std::unique_ptr<HTTPClientSession> session;
    if (https_)
        session = std::make_unique<Poco::Net::HTTPSClientSession>(host_, port_, tls_context());
    else
        session = std::make_unique<HTTPClientSession>(host_, port_);
    const Poco::Timespan timeout(
        std::chrono::duration_cast<std::chrono::microseconds>(settings_.timeout).count());
    session->setTimeout(timeout, timeout, timeout);
    session->setKeepAlive(true);
    return session;
}

void S3Client::release(std::unique_ptr<HTTPClientSession> session) {
    std::lock_guard<std::mutex> guard(mutex_);
    if (idle_.size() < settings_.pool_size)
        idle_.push_back(std::move(session));
}

Poco::Net::HTTPRequest S3Client::prepare(const std::string& method, std::string_view key,
                                         const NameValues& query, const NameValues& headers,
                                         const std::string& payload_sha256) const {
    const std::string path = path_of(key);
    SignedRequest signed_request{.method = method,
                                 .path = path,
                                 .query = query,
                                 .headers = headers,
                                 .payload_sha256 = payload_sha256};
    signed_request.headers.emplace_back("host", host_header_);
    signed_request.headers.emplace_back("x-amz-date", amz_date(std::chrono::system_clock::now()));
    signed_request.headers.emplace_back("x-amz-content-sha256", payload_sha256);
    Poco::Net::HTTPRequest request(method, uri_encode(path, true) + query_string(query),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : signed_request.headers)
        request.set(name == "host" ? "Host" : name, value);
    request.set("Authorization", signer_.authorization(signed_request));
    return request;
}

S3Answer S3Client::send(const std::string& method, std::string_view key, const NameValues& query,
                        const NameValues& headers, const S3Payload* payload) {
    Poco::Net::HTTPRequest request =
        prepare(method, key, query, headers, payload ? payload->sha256_hex : kEmptySha256);
    if (payload)
        request.setContentLength64(static_cast<Poco::Int64>(payload->size));
    else if (method == "PUT" || method == "POST")
        request.setContentLength(0);

    const std::string action =
        method + " " + (key.empty() ? "/" : std::string(key)) + " on " + where();
    for (int attempt = 0;; ++attempt) {
        bool reused = false;
        std::unique_ptr<HTTPClientSession> session = acquire(reused, attempt > 0);
        try {
            return exchange(*session, request, method, action, payload,
                            [&] { release(std::move(session)); });
        } catch (const Poco::Exception& e) {
            // An idle connection the store closed meanwhile fails at once: every request here
            // is idempotent, so it goes once more on a new connection.
            if (reused && attempt == 0 && rewind(payload))
                continue;
            throw sdk::Unavailable(action + ": " + e.displayText());
        }
    }
}

bool S3Client::rewind(const S3Payload* payload) {
    if (payload == nullptr)
        return true;
    payload->stream.clear();
    payload->stream.seekg(0);
    return !payload->stream.fail();
}

S3Answer S3Client::exchange(HTTPClientSession& session, Poco::Net::HTTPRequest& request,
                            const std::string& method, const std::string& action,
                            const S3Payload* payload, const std::function<void()>& reusable) {
    try {
        std::ostream& body = session.sendRequest(request);
        if (payload) {
            Poco::StreamCopier::copyStream64(payload->stream, body, 64 * 1024);
            if (payload->stream.bad())
                throw sdk::Error(action + ": the local copy of the upload could not be read");
        }
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        S3Answer answer;
        answer.status = static_cast<int>(response.getStatus());
        answer.last_modified = response.get("Last-Modified", "");
        answer.content_length = response.hasContentLength()
                                    ? static_cast<std::uint64_t>(response.getContentLength64())
                                    : 0;
        if (method != "HEAD")
            answer.body = read_bounded(in);
        if (answer.status >= 500)
            throw sdk::Unavailable(action + ": " + describe(answer));
        // Swift's s3api sends its error document even after a HEAD: the connection of a HEAD
        // that failed holds stray bytes, so it is not reused.
        if (response.getKeepAlive() && (method != "HEAD" || answer.status < 300))
            reusable();
        return answer;
    } catch (const sdk::Error&) {
        throw;
    } catch (const Poco::Exception&) {
        throw;
    } catch (const std::exception& e) {
        throw sdk::Unavailable(action + ": " + e.what());
    }
}

std::unique_ptr<std::istream> S3Client::open(std::string_view key) {
    Poco::Net::HTTPRequest request = prepare("GET", key, {}, {}, kEmptySha256);
    const std::string action = "GET " + std::string(key) + " on " + where();
    for (int attempt = 0;; ++attempt) {
        bool reused = false;
        std::unique_ptr<HTTPClientSession> session = acquire(reused, attempt > 0);
        try {
            session->sendRequest(request);
            Poco::Net::HTTPResponse response;
            std::istream& in = session->receiveResponse(response);
            if (response.getStatus() == Poco::Net::HTTPResponse::HTTP_NOT_FOUND)
                return nullptr;
            if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
                S3Answer answer;
                answer.status = static_cast<int>(response.getStatus());
                answer.body = read_bounded(in);
                if (answer.status >= 500)
                    throw sdk::Unavailable(action + ": " + describe(answer));
                throw sdk::Error(action + ": " + describe(answer));
            }
            return std::make_unique<ObjectStream>(std::move(session), in);
        } catch (const Poco::Exception& e) {
            if (reused && attempt == 0)
                continue;  // an idle connection the store closed meanwhile
            throw sdk::Unavailable(action + ": " + e.displayText());
        }
    }
}

std::string S3Client::presigned_get_url(std::string_view key, std::chrono::seconds lifetime) const {
    const std::string path = path_of(key);
    return std::string(https_ ? "https://" : "http://") + host_header_ + uri_encode(path, true) +
           "?" +
           signer_.presigned_query(host_header_, path, std::chrono::system_clock::now(), lifetime);
}

}  // namespace visiongw::s3
