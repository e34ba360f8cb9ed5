// AWS Signature Version 4 (HMAC-SHA256) for S3 requests, on OpenSSL: canonical request, string
// to sign, Authorization header and presigned query strings. Pure functions of their inputs,
// safe from any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace visiongw::s3 {

// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// RFC 3986 percent-encoding as SigV4 wants it: everything but A-Z a-z 0-9 - . _ ~ is encoded
// (upper-case hex); '/' is kept when `keep_slash` (object key paths).
std::string uri_encode(std::string_view text, bool keep_slash);

// `when` as x-amz-date's basic ISO 8601 form, e.g. 20150830T123600Z.
std::string amz_date(std::chrono::system_clock::time_point when);

using NameValues = std::vector<std::pair<std::string, std::string>>;

// One request as signed. `path` and `query` are not encoded (the signer encodes them);
// `headers` must hold `host` and `x-amz-date` (any case); a name given twice signs as its values
// joined by ',' in order. `payload_sha256` is the hex SHA-256 of the body or UNSIGNED-PAYLOAD.
struct SignedRequest {
    std::string method;
    std::string path;
    NameValues query;
    NameValues headers;
    std::string payload_sha256;
};

struct Credentials {
    std::string access_key_id;
    std::string secret_access_key;
};

// Signs for one credential, region and service ("s3").
class Sigv4Signer {
public:
    Sigv4Signer(Credentials credentials, std::string region, std::string service);

    std::string canonical_request(const SignedRequest& request) const;
    // `amz_date` as in the request's x-amz-date header.
    std::string string_to_sign(std::string_view canonical_request, std::string_view amz_date) const;
    std::string authorization(const SignedRequest& request) const;
    // The query string (encoded, X-Amz-Signature last) that makes `GET host/path` valid for
    // `lifetime` from `when` without any header but host.
    std::string presigned_query(std::string_view host, std::string_view path,
                                std::chrono::system_clock::time_point when,
                                std::chrono::seconds lifetime) const;

private:
    std::string scope(std::string_view amz_date) const;
    std::string signature(std::string_view string_to_sign, std::string_view amz_date) const;

    Credentials credentials_;
    std::string region_;
    std::string service_;
};

}  // namespace visiongw::s3
