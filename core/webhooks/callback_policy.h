// Which callback URLs a submit may name and which addresses a webhook may reach: an operator
// allowlist of hosts and, unless allowed, no private, loopback, link-local or other non-public
// address after DNS resolution (server-side request forgery).
#pragma once

#include <Poco/Net/IPAddress.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace visiongw::core {

// A callback URL the policy refused; the message says what was wrong with it.
class CallbackRefused : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Where a webhook goes: the URL's parts and the checked addresses it may connect to.
struct WebhookTarget {
    std::string scheme;  // "http" or "https"
    std::string host;    // as the URL names it (lowercase), for Host and TLS
    std::uint16_t port = 0;
    std::string path_and_query;                   // "/" when the URL has no path
    std::vector<Poco::Net::IPAddress> addresses;  // in the resolver's order; never empty
};

// Whether `host` (lowercase) matches one of `patterns`: an exact host name or address, or
// "*.suffix", which matches any host ending in ".suffix" (not "suffix" itself).
bool host_allowed(std::string_view host, const std::vector<std::string>& patterns);

// Whether `address` is a public unicast address: not unspecified, loopback, private
// (RFC 1918, unique local fc00::/7), shared (100.64.0.0/10), link-local, multicast, broadcast,
// reserved, or an IPv4-mapped IPv6 form of one of those.
bool is_public_address(const Poco::Net::IPAddress& address);

class CallbackPolicy {
public:
    // `allowed_hosts` empty: webhooks are off and every callback URL is refused.
    CallbackPolicy(std::vector<std::string> allowed_hosts, bool allow_private_addresses);

    bool enabled() const { return !allowed_hosts_.empty(); }
    // Checks `url` (at most 2048 bytes, http or https, no user info or fragment, host on the
    // allowlist) and resolves its host: every address must be public unless private addresses
    // are allowed. Returns the target with its addresses. Throws CallbackRefused, or
    // sdk::Unavailable when DNS does not answer now.
    WebhookTarget check(const std::string& url) const;

private:
    std::vector<std::string> allowed_hosts_;
    bool allow_private_addresses_;
};

}  // namespace visiongw::core
