#include "redis_connection_pool.h"

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Redis/Error.h>
#include <Poco/Redis/Exception.h>
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

RedisConnection::RedisConnection(const Poco::Net::SocketAddress& address, Poco::Timespan timeout)
    : input_(socket_) {
    socket_.connect(address, timeout);
    socket_.setNoDelay(true);
    socket_.setSendTimeout(timeout);
    socket_.setReceiveTimeout(timeout);
    input_.exceptions(std::ios::badbit);  // a failed read throws its own error (timeout, reset)
}

Poco::Redis::RedisType::Ptr RedisConnection::send(const Poco::Redis::Array& command) {
    const std::string text = command.toString();
    for (std::size_t sent = 0; sent < text.size();) {
        const int written =
            socket_.sendBytes(text.data() + sent, static_cast<int>(text.size() - sent));
        if (written <= 0)
            throw Poco::Net::ConnectionResetException("redis connection closed while sending");
        sent += static_cast<std::size_t>(written);
    }
    const int marker = input_.get();
    if (marker == std::char_traits<char>::eof())
        throw Poco::Net::ConnectionResetException("redis closed the connection");
    Poco::Redis::RedisType::Ptr reply =
        Poco::Redis::RedisType::createRedisType(static_cast<char>(marker));
    if (reply.isNull()) {
        throw Poco::Redis::RedisException("redis answered with an unknown reply type '" +
                                          std::string(1, static_cast<char>(marker)) + "'");
    }
    reply->read(input_);
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
    connection_.reset();
    --pool_.open_connections_;
}

void RedisConnectionPool::close_idle() {
    std::lock_guard lock(mutex_);
    open_connections_ -= idle_.size();
    idle_.clear();
}

std::unique_ptr<RedisConnection> RedisConnectionPool::borrow(bool& reused) {
    {
        std::unique_lock lock(mutex_);
        if (!slot_freed_.wait_for(lock, timeout_, [&] { return leased_ < size_; })) {
            throw failure("no free connection within " + std::to_string(timeout_.count()) + " ms");
        }
        ++leased_;
        if (!idle_.empty()) {
            auto connection = std::move(idle_.back());
            idle_.pop_back();
            reused = true;
            return connection;
        }
    }
    try {
        auto connection = connect();
        ++open_connections_;
        reused = false;
        return connection;
    } catch (const Poco::Exception& error) {
        give_back(nullptr);
        throw failure(error.displayText());
    } catch (const RedisErrorReply& error) {
        give_back(nullptr);
        throw failure(error.what());
    }
}

void RedisConnectionPool::give_back(std::unique_ptr<RedisConnection> connection) {
    {
        std::lock_guard lock(mutex_);
        --leased_;
        if (connection)
            idle_.push_back(std::move(connection));
    }
    slot_freed_.notify_one();
}

// A new connection, logged in and on the right database.
std::unique_ptr<RedisConnection> RedisConnectionPool::connect() const {
    auto connection = std::make_unique<RedisConnection>(
        Poco::Net::SocketAddress(endpoint_.host, endpoint_.port), to_timespan(timeout_));
    if (!endpoint_.password.empty()) {
        Poco::Redis::Array auth;
        auth << "AUTH";
        if (!endpoint_.username.empty())
            auth << endpoint_.username;
        auth << endpoint_.password;
        connection->send(auth);
    }
    if (endpoint_.database != 0) {
        Poco::Redis::Array select;
        select << "SELECT" << std::to_string(endpoint_.database);
        connection->send(select);
    }
    return connection;
}

sdk::Unavailable RedisConnectionPool::failure(const std::string& what) {
    ++errors_total_;
    return sdk::Unavailable("redis " + endpoint_.address() + ": " + what);
}

}  // namespace visiongw::redis
