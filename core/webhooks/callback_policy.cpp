#include "webhooks/callback_policy.h"

#include <Poco/Net/DNS.h>
#include <Poco/Net/NetException.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <array>

#include "visiongw/sdk/errors.h"

namespace visiongw::core {
namespace {

// An IPv4 network: the address's top `bits` equal `prefix`'s.
struct Ipv4Network {
    std::uint32_t prefix;
    int bits;
};

// Special-purpose IPv4 ranges (RFC 6890 and successors) a webhook must not reach.
constexpr std::array<Ipv4Network, 15> kNonPublicIpv4{{
    {0x00000000, 8},   // "this network"
    {0x0A000000, 8},   // private
    {0x64400000, 10},  // shared address space (carrier-grade NAT)
    {0x7F000000, 8},   // loopback
    {0xA9FE0000, 16},  // link-local (and cloud metadata services)
    {0xAC100000, 12},  // private
    {0xC0000000, 24},  // IETF protocol assignments
    {0xC0000200, 24},  // documentation
    {0xC0A80000, 16},  // private
    {0xC6120000, 15},  // benchmarking
    {0xC6336400, 24},  // documentation
    {0xCB007100, 24},  // documentation
    {0xE0000000, 4},   // multicast
    {0xF0000000, 4},   // reserved
    {0xFFFFFFFF, 32},  // broadcast
}};

// Longer callback URLs are refused (they are stored with the job and sent on every attempt).
constexpr std::size_t kLongestUrl = 2048;

bool is_public_ipv4(const unsigned char* bytes) {
    const std::uint32_t value = (std::uint32_t(bytes[0]) << 24) | (std::uint32_t(bytes[1]) << 16) |
                                (std::uint32_t(bytes[2]) << 8) | std::uint32_t(bytes[3]);
    for (const Ipv4Network& network : kNonPublicIpv4) {
        const std::uint32_t mask = network.bits == 0 ? 0 : ~std::uint32_t(0) << (32 - network.bits);
        if ((value & mask) == network.prefix)
            return false;
    }
    return true;
}

}  // namespace

bool host_allowed(std::string_view host, const std::vector<std::string>& patterns) {
    for (const std::string& pattern : patterns) {
        if (pattern.starts_with("*.")) {
            const std::string_view suffix = std::string_view(pattern).substr(1);  // ".suffix"
            if (host.size() > suffix.size() && host.ends_with(suffix))
                return true;
        } else if (host == pattern) {
            return true;
        }
    }
    return false;
}

bool is_public_address(const Poco::Net::IPAddress& address) {
    const auto* bytes = static_cast<const unsigned char*>(address.addr());
    if (address.family() == Poco::Net::IPAddress::IPv4)
        return is_public_ipv4(bytes);
    if (address.isIPv4Mapped() || address.isIPv4Compatible())
        return is_public_ipv4(bytes + 12);
    // Global unicast is 2000::/3; everything else (::, ::1, fc00::/7, fe80::/10, ff00::/8, …)
    // is not reachable as a public host. Documentation 2001:db8::/32 is refused too.
    if ((bytes[0] & 0xE0) != 0x20)
        return false;
    return !(bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8);
}

CallbackPolicy::CallbackPolicy(std::vector<std::string> allowed_hosts, bool allow_private_addresses)
    : allowed_hosts_(std::move(allowed_hosts)), allow_private_addresses_(allow_private_addresses) {
    for (std::string& pattern : allowed_hosts_)
        Poco::toLowerInPlace(pattern);
}

WebhookTarget CallbackPolicy::check(const std::string& url) const {
    if (!enabled()) {
        throw CallbackRefused(
            "webhooks are off on this gateway ([webhooks] allowed_hosts is empty)");
    }
    if (url.size() > kLongestUrl) {
        throw CallbackRefused("callback_url is longer than " + std::to_string(kLongestUrl) +
                              " bytes");
    }
    Poco::URI uri;
    try {
        uri = Poco::URI(url);
    } catch (const Poco::SyntaxException& e) {
        throw CallbackRefused("callback_url is not a URL: " + e.message());
    }
    WebhookTarget target;
    target.scheme = Poco::toLower(uri.getScheme());
    if (target.scheme != "http" && target.scheme != "https")
        throw CallbackRefused("callback_url must be an http or https URL");
    if (!uri.getUserInfo().empty())
        throw CallbackRefused("callback_url must not carry user information");
    if (!uri.getFragment().empty())
        throw CallbackRefused("callback_url must not have a fragment");
    target.host = Poco::toLower(uri.getHost());
    if (target.host.empty())
        throw CallbackRefused("callback_url has no host");
    if (!host_allowed(target.host, allowed_hosts_)) {
        throw CallbackRefused("callback_url host '" + target.host +
                              "' is not on this gateway's [webhooks] allowed_hosts");
    }
    target.port = uri.getPort();
    target.path_and_query = uri.getPathAndQuery();
    if (target.path_and_query.empty())
        target.path_and_query = "/";

    std::vector<Poco::Net::IPAddress>& addresses = target.addresses;
    Poco::Net::IPAddress literal;
    if (Poco::Net::IPAddress::tryParse(target.host, literal)) {
        addresses.push_back(literal);
    } else {
        try {
            addresses = Poco::Net::DNS::resolve(target.host).addresses();
        } catch (const Poco::Net::HostNotFoundException&) {
            throw CallbackRefused("callback_url host '" + target.host + "' does not resolve");
        } catch (const Poco::Net::NoAddressFoundException&) {
            throw CallbackRefused("callback_url host '" + target.host + "' has no address");
        } catch (const Poco::Exception& e) {
            throw sdk::Unavailable("DNS lookup of callback_url host '" + target.host +
                                   "' failed: " + e.displayText());
        }
    }
    if (addresses.empty())
        throw CallbackRefused("callback_url host '" + target.host + "' has no address");
    if (!allow_private_addresses_) {
        for (const auto& address : addresses) {
            if (!is_public_address(address)) {
                throw CallbackRefused("callback_url host '" + target.host +
                                      "' resolves to non-public address " + address.toString() +
                                      " (private, loopback, link-local or reserved)");
            }
        }
    }
    return target;
}

}  // namespace visiongw::core
