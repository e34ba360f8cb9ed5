// A small S3 REST client: SigV4-signed requests to one bucket over a pool of Poco HTTP(S)
// sessions, with every failure turned into an SDK error that names the bucket.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sigv4.h"

namespace Poco::Net {
class HTTPClientSession;
class HTTPRequest;
}  // namespace Poco::Net

namespace visiongw::s3 {

// Where and how to reach the bucket; read from the plugin's options.
struct S3Settings {
    std::string endpoint;  // http(s)://host[:port], no path
    std::string region;
    std::string bucket;
    bool virtual_host = false;  // bucket.host/key instead of host/bucket/key
    Credentials credentials;
    std::chrono::milliseconds timeout{10000};
    std::size_t pool_size = 16;
};

// An answer whose body (error documents, listings: small) was read whole.
struct S3Answer {
    int status = 0;
    std::string body;
    std::string last_modified;  // the Last-Modified header
    std::uint64_t content_length = 0;
};

// The request body of a PUT: `size` bytes read from `stream`, whose SHA-256 is `sha256_hex`.
struct S3Payload {
    std::istream& stream;
    std::uint64_t size;
    std::string sha256_hex;
};

// Thread-safe. A session goes back to the pool only after a complete exchange; any network
// error discards it. Network failures and 5xx answers throw sdk::Unavailable; other statuses
// are returned to the caller, who knows which ones are expected.
class S3Client {
public:
    explicit S3Client(S3Settings settings);
    ~S3Client();
    S3Client(const S3Client&) = delete;
    S3Client& operator=(const S3Client&) = delete;

    // `key` empty: the bucket itself. `headers` are added and signed.
    S3Answer send(const std::string& method, std::string_view key, const NameValues& query = {},
                  const NameValues& headers = {}, const S3Payload* payload = nullptr);
    // GET of an object as a stream that owns its connection; nullptr when it does not exist.
    std::unique_ptr<std::istream> open(std::string_view key);
    // A URL anyone can GET the object with until `lifetime` from now.
    std::string presigned_get_url(std::string_view key, std::chrono::seconds lifetime) const;

    // "bucket B at http://host:port", for messages.
    std::string where() const;
    // "S3 error Code (HTTP status): Message" of an error answer, for messages.
    static std::string describe(const S3Answer& answer);

private:
    // An idle session of the pool (`reused`) or, when there is none or `fresh`, a new one.
    std::unique_ptr<Poco::Net::HTTPClientSession> acquire(bool& reused, bool fresh = false);
    // One request and its answer on `session`; calls `reusable` when the session may go back
    // to the pool. Throws Poco::Exception for a network failure, sdk errors otherwise.
    S3Answer exchange(Poco::Net::HTTPClientSession& session, Poco::Net::HTTPRequest& request,
                      const std::string& method, const std::string& action,
                      const S3Payload* payload, const std::function<void()>& reusable);
    // Puts the payload back at its start for a second attempt; false when it cannot be.
    static bool rewind(const S3Payload* payload);
    void release(std::unique_ptr<Poco::Net::HTTPClientSession> session);
    std::string path_of(std::string_view key) const;
    // The request with host, x-amz-date, x-amz-content-sha256 and its Authorization.
    Poco::Net::HTTPRequest prepare(const std::string& method, std::string_view key,
                                   const NameValues& query, const NameValues& headers,
                                   const std::string& payload_sha256) const;

    S3Settings settings_;
    Sigv4Signer signer_;
    bool https_ = false;
    std::string host_;  // the endpoint's host name
    std::uint16_t port_ = 0;
    std::string host_header_;  // what the Host header says (and is signed)
    std::mutex mutex_;
    std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>> idle_;
};

// The text of the first <tag>…</tag> in `xml` from `from` on, XML entities decoded; nothing when
// absent. Enough for S3's flat error and listing documents.
std::optional<std::string> xml_text(std::string_view xml, std::string_view tag,
                                    std::size_t from = 0);

}  // namespace visiongw::s3
