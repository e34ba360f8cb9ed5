#include "redis_connection_pool.h"

#include <Poco/Exception.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include <charconv>
#include <optional>

namespace visiongw::redis {

namespace {

Poco::Timespan to_timespan(std::chrono::milliseconds timeout) {
    return Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(timeout).count());
}

// The whole of `text` as a number in [min, max], or nullopt.
std::optional<int> parse_number(const std::string& text, int min, int max) {
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min ||
        value > max) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

RedisEndpoint parse_redis_url(const std::string& url) {
    auto reject = [&](const std::string& why) {
        return sdk::ConfigError("redis url '" + url + "': " + why +
                                " (expected redis://[:password@]host:port[/db])");
    };
    Poco::URI uri;
    try {
        uri = Poco::URI(url);
    } catch (const Poco::Exception& error) {
        throw reject(error.message().empty() ? error.displayText() : error.message());
    }
    if (uri.getScheme() != "redis")
        throw reject("scheme must be redis");
    if (uri.getHost().empty())
        throw reject("host is missing");
    if (!uri.getRawQuery().empty() || !uri.getFragment().empty()) {
        throw reject("query and fragment are not supported");
    }
    RedisEndpoint endpoint;
    endpoint.host = uri.getHost();
    if (uri.getPort() != 0)
        endpoint.port = uri.getPort();
    const std::string& user_info = uri.getUserInfo();
    if (auto colon = user_info.find(':'); colon != std::string::npos) {
        Poco::URI::decode(user_info.substr(0, colon), endpoint.username);
        Poco::URI::decode(user_info.substr(colon + 1), endpoint.password);
    } else if (!user_info.empty()) {
        throw reject("credentials must be :password or user:password");
    }
    std::string path = uri.getPath();
    if (!path.empty() && path != "/") {
        auto database = parse_number(path.substr(1), 0, 1 << 20);
        if (!database)
            throw reject("database must be a number");
        endpoint.database = *database;
    }
    return endpoint;
}

Poco::Redis::RedisType::Ptr send_command(Poco::Redis::Client& client,
                                         const Poco::Redis::Array& command) {
    Poco::Redis::RedisType::Ptr reply = client.sendCommand(command);
    if (reply->isError()) {
        auto& error = dynamic_cast<Poco::Redis::Type<Poco::Redis::Error>&>(*reply);
        throw RedisErrorReply(error.value().getMessage());
    }
    return reply;
}

RedisConnectionPool::RedisConnectionPool(RedisEndpoint endpoint, std::size_t size,
                                         std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), size_(size), timeout_(timeout) {}

void RedisConnectionPool::Lease::discard() {
    client_.reset();
    --pool_.open_connections_;
}

void RedisConnectionPool::close_idle() {
    std::lock_guard lock(mutex_);
    open_connections_ -= idle_.size();
    idle_.clear();
}

std::unique_ptr<Poco::Redis::Client> RedisConnectionPool::borrow(bool& reused) {
    {
        std::unique_lock lock(mutex_);
        if (!slot_freed_.wait_for(lock, timeout_, [&] { return leased_ < size_; })) {
            throw failure("no free connection within " + std::to_string(timeout_.count()) + " ms");
        }
        ++leased_;
        if (!idle_.empty()) {
            auto client = std::move(idle_.back());
            idle_.pop_back();
            reused = true;
            return client;
        }
    }
    try {
        auto client = connect();
        ++open_connections_;
        reused = false;
        return client;
    } catch (const Poco::Exception& error) {
        give_back(nullptr);
        throw failure(error.displayText());
    } catch (const RedisErrorReply& error) {
        give_back(nullptr);
        throw failure(error.what());
    }
}

void RedisConnectionPool::give_back(std::unique_ptr<Poco::Redis::Client> client) {
    {
        std::lock_guard lock(mutex_);
        --leased_;
        if (client)
            idle_.push_back(std::move(client));
    }
    slot_freed_.notify_one();
}

// A new client, logged in and on the right database. Poco's client offers no send timeout;
// a request is small enough for the socket buffer, so the receive timeout bounds each call.
std::unique_ptr<Poco::Redis::Client> RedisConnectionPool::connect() const {
    auto client = std::make_unique<Poco::Redis::Client>();
    client->connect(Poco::Net::SocketAddress(endpoint_.host, endpoint_.port),
                    to_timespan(timeout_));
    client->setReceiveTimeout(to_timespan(timeout_));
    if (!endpoint_.password.empty()) {
        Poco::Redis::Array auth;
        auth << "AUTH";
        if (!endpoint_.username.empty())
            auth << endpoint_.username;
        auth << endpoint_.password;
        send_command(*client, auth);
    }
    if (endpoint_.database != 0) {
        Poco::Redis::Array select;
        select << "SELECT" << std::to_string(endpoint_.database);
        send_command(*client, select);
    }
    return client;
}

sdk::Unavailable RedisConnectionPool::failure(const std::string& what) {
    ++errors_total_;
    return sdk::Unavailable("redis " + endpoint_.address() + ": " + what);
}

}  // namespace visiongw::redis
