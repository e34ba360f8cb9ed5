#include "sentinel_resolver.h"

#include <Poco/Exception.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Redis/Array.h>
#include <Poco/Redis/Type.h>
#include <Poco/String.h>

#include <algorithm>
#include <charconv>

#include "redis_connection_pool.h"
#include "visiongw/sdk/errors.h"

namespace visiongw::redis {

namespace {

// The whole of `text` as a TCP port (1..65535), or 0.
std::uint16_t parse_port(std::string_view text) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0 ||
        value > 65535)
        return 0;
    return static_cast<std::uint16_t>(value);
}

}  // namespace

std::vector<ServerAddress> parse_sentinel_list(const std::string& text) {
    std::vector<ServerAddress> sentinels;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t comma = std::min(text.find(',', start), text.size());
        const std::string entry = Poco::trim(text.substr(start, comma - start));
        const auto colon = entry.rfind(':');
        const std::uint16_t port =
            colon == std::string::npos ? 0 : parse_port(std::string_view(entry).substr(colon + 1));
        if (colon == 0 || port == 0) {
            throw sdk::ConfigError("redis sentinels '" + text + "': entry '" + entry +
                                   "' is not host:port (port 1-65535)");
        }
        sentinels.push_back({entry.substr(0, colon), port});
        start = comma + 1;
    }
    return sentinels;
}

SentinelResolver::SentinelResolver(std::vector<ServerAddress> sentinels, std::string master_name,
                                   std::string password)
    : configured_(sentinels),
      master_name_(std::move(master_name)),
      password_(std::move(password)),
      order_(std::move(sentinels)) {}

std::string SentinelResolver::sentinel_list() const {
    std::string list;
    for (const ServerAddress& sentinel : configured_)
        list += (list.empty() ? "" : ", ") + sentinel.text();
    return list;
}

ServerAddress SentinelResolver::master(std::chrono::steady_clock::time_point deadline) {
    std::vector<ServerAddress> order;
    {
        std::lock_guard lock(mutex_);
        order = order_;
    }
    std::string failures;
    for (std::size_t i = 0; i < order.size(); ++i) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        const auto share = left / static_cast<long>(order.size() - i);
        std::string why;
        if (share < std::chrono::milliseconds(1)) {
            why = "not asked, no time left";
        } else {
            try {
                ServerAddress master = ask(order[i], share);
                move_to_front(order[i]);
                return master;
            } catch (const Poco::Exception& error) {
                why = error.displayText();
            } catch (const std::exception& error) {  // an error reply, an unknown master
                why = error.what();
            }
        }
        failures += (failures.empty() ? "" : "; ") + order[i].text() + ": " + why;
    }
    throw MasterNotFound("no sentinel named master '" + master_name_ + "' (" + failures + ")");
}

ServerAddress SentinelResolver::ask(const ServerAddress& sentinel,
                                    std::chrono::milliseconds timeout) const {
    RedisConnection connection(
        Poco::Net::SocketAddress(sentinel.host, sentinel.port),
        Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(timeout).count()));
    if (!password_.empty()) {
        Poco::Redis::Array auth;
        auth << "AUTH" << password_;
        connection.send(auth);
    }
    Poco::Redis::Array question;
    question << "SENTINEL"
             << "get-master-addr-by-name" << master_name_;
    Poco::Redis::RedisType::Ptr answer = connection.send(question);
    const auto* pair = dynamic_cast<const Poco::Redis::Type<Poco::Redis::Array>*>(answer.get());
    if (pair == nullptr || pair->value().isNull() || pair->value().size() != 2)
        throw MasterNotFound("does not know the master");
    const std::string host = pair->value().get<Poco::Redis::BulkString>(0).value();
    const std::string port = pair->value().get<Poco::Redis::BulkString>(1).value();
    const std::uint16_t number = parse_port(port);
    if (host.empty() || number == 0)
        throw MasterNotFound("answered the address '" + host + ":" + port + "'");
    return {host, number};
}

void SentinelResolver::move_to_front(const ServerAddress& sentinel) {
    std::lock_guard lock(mutex_);
    auto at = std::find(order_.begin(), order_.end(), sentinel);
    if (at != order_.end())
        std::rotate(order_.begin(), at, at + 1);
}

}  // namespace visiongw::redis
