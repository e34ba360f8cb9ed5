#include "sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <stdexcept>

namespace visiongw::s3 {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string hex(const unsigned char* bytes, std::size_t size) {
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out += kHex[bytes[i] >> 4];
        out += kHex[bytes[i] & 0xF];
    }
    return out;
}

std::string hmac(std::string_view key, std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest,
             &size) == nullptr) {
        throw std::runtime_error("HMAC-SHA256 failed");
    }
    return std::string(reinterpret_cast<const char*>(digest), size);
}

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// A header value as signed: outer spaces trimmed, inner runs of spaces made one.
std::string trimmed_value(std::string_view value) {
    std::string out;
    bool in_space = false;
    for (char c : value) {
        if (c == ' ' || c == '\t') {
            in_space = true;
            continue;
        }
        if (in_space && !out.empty())
            out += ' ';
        in_space = false;
        out += c;
    }
    return out;
}

// Lowercased names, sorted, each with its values joined by ',' in the order given.
NameValues canonical_headers(const NameValues& headers) {
    NameValues merged;
    for (const auto& [name, value] : headers) {
        const std::string key = lowercase(name);
        auto it = std::find_if(merged.begin(), merged.end(),
                               [&](const auto& entry) { return entry.first == key; });
        if (it == merged.end())
            merged.emplace_back(key, trimmed_value(value));
        else
            it->second += "," + trimmed_value(value);
    }
    std::sort(merged.begin(), merged.end());
    return merged;
}

std::string signed_header_names(const NameValues& canonical) {
    std::string out;
    for (const auto& entry : canonical) {
        if (!out.empty())
            out += ';';
        out += entry.first;
    }
    return out;
}

std::string canonical_query(const NameValues& query) {
    NameValues encoded;
    for (const auto& [name, value] : query)
        encoded.emplace_back(uri_encode(name, false), uri_encode(value, false));
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [name, value] : encoded) {
        if (!out.empty())
            out += '&';
        out += name + "=" + value;
    }
    return out;
}

std::string_view date_of(std::string_view amz_date) {
    return amz_date.substr(0, 8);
}

}  // namespace

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
    return hex(digest, size);
}

std::string uri_encode(std::string_view text, bool keep_slash) {
    std::string out;
    out.reserve(text.size() * 3);
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
            (keep_slash && c == '/')) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += static_cast<char>(std::toupper(kHex[c >> 4]));
            out += static_cast<char>(std::toupper(kHex[c & 0xF]));
        }
    }
    return out;
}

std::string amz_date(std::chrono::system_clock::time_point when) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[17];
    std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
    return text;
}

Sigv4Signer::Sigv4Signer(Credentials credentials, std::string region, std::string service)
    : credentials_(std::move(credentials)),
      region_(std::move(region)),
      service_(std::move(service)) {}

std::string Sigv4Signer::canonical_request(const SignedRequest& request) const {
    const NameValues headers = canonical_headers(request.headers);
    std::string out = request.method + "\n" + uri_encode(request.path, true) + "\n" +
                      canonical_query(request.query) + "\n";
    for (const auto& [name, value] : headers)
        out += name + ":" + value + "\n";
    out += "\n" + signed_header_names(headers) + "\n" + request.payload_sha256;
    return out;
}

std::string Sigv4Signer::scope(std::string_view amz_date) const {
    return std::string(date_of(amz_date)) + "/" + region_ + "/" + service_ + "/aws4_request";
}

std::string Sigv4Signer::string_to_sign(std::string_view canonical_request,
                                        std::string_view amz_date) const {
    return std::string(kAlgorithm) + "\n" + std::string(amz_date) + "\n" + scope(amz_date) + "\n" +
           sha256_hex(canonical_request);
}

std::string Sigv4Signer::signature(std::string_view string_to_sign,
                                   std::string_view amz_date) const {
    std::string key = hmac("AWS4" + credentials_.secret_access_key, date_of(amz_date));
    key = hmac(key, region_);
    key = hmac(key, service_);
    key = hmac(key, "aws4_request");
    const std::string digest = hmac(key, string_to_sign);
    return hex(reinterpret_cast<const unsigned char*>(digest.data()), digest.size());
}

std::string Sigv4Signer::authorization(const SignedRequest& request) const {
    std::string date;
    for (const auto& [name, value] : request.headers) {
        if (lowercase(name) == "x-amz-date")
            date = value;
    }
    if (date.size() < 8)
        throw std::invalid_argument("a SigV4 request needs an x-amz-date header");
    const std::string creq = canonical_request(request);
    return std::string(kAlgorithm) + " Credential=" + credentials_.access_key_id + "/" +
           scope(date) +
           ", SignedHeaders=" + signed_header_names(canonical_headers(request.headers)) +
           ", Signature=" + signature(string_to_sign(creq, date), date);
}

std::string Sigv4Signer::presigned_query(std::string_view host, std::string_view path,
                                         std::chrono::system_clock::time_point when,
                                         std::chrono::seconds lifetime) const {
    const std::string date = amz_date(when);
    SignedRequest request{
        .method = "GET",
        .path = std::string(path),
        .query = {{"X-Amz-Algorithm", std::string(kAlgorithm)},
                  {"X-Amz-Credential", credentials_.access_key_id + "/" + scope(date)},
                  {"X-Amz-Date", date},
                  {"X-Amz-Expires", std::to_string(lifetime.count())},
                  {"X-Amz-SignedHeaders", "host"}},
        .headers = {{"host", std::string(host)}},
        .payload_sha256 = "UNSIGNED-PAYLOAD",
    };
    const std::string sig = signature(string_to_sign(canonical_request(request), date), date);
    return canonical_query(request.query) + "&X-Amz-Signature=" + sig;
}

}  // namespace visiongw::s3
