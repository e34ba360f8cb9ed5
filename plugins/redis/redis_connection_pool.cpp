#include "redis_connection_pool.h"

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Redis/Error.h>
#include <Poco/Redis/Exception.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <thread>

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

void RedisConnection::set_timeout(Poco::Timespan timeout) {
    socket_.setSendTimeout(timeout);
    socket_.setReceiveTimeout(timeout);
}

RedisConnectionPool::RedisConnectionPool(PoolSettings settings)
    : endpoint_(std::move(settings.endpoint)),
      size_(settings.size),
      timeout_(settings.timeout),
      sentinel_(settings.sentinels.empty()
                    ? nullptr
                    : std::make_unique<SentinelResolver>(std::move(settings.sentinels),
                                                         std::move(settings.sentinel_master),
                                                         std::move(settings.sentinel_password))),
      master_check_interval_(settings.master_check_interval),
      wait_replicas_(settings.wait_replicas),
      wait_timeout_(settings.wait_timeout) {}

void RedisConnectionPool::Lease::discard() {
    connection_.reset();
    --pool_.open_connections_;
}

bool RedisConnectionPool::is_readonly(const RedisErrorReply& error) {
    return std::string_view(error.what()).starts_with("READONLY");
}

void RedisConnectionPool::await_replicas(RedisConnection& redis, std::string_view job_id,
                                         std::string_view write) {
    if (wait_replicas_ == 0)
        return;
    Poco::Redis::Array wait;
    wait << "WAIT" << std::to_string(wait_replicas_) << std::to_string(wait_timeout_.count());
    Poco::Redis::RedisType::Ptr reply = redis.send(wait);
    const auto* acknowledged = dynamic_cast<const Poco::Redis::Type<Poco::Int64>*>(reply.get());
    if (acknowledged == nullptr)
        throw Poco::Redis::RedisException("WAIT answered no number");
    if (acknowledged->value() < wait_replicas_) {
        ++errors_total_;
        if (sentinel_)
            drop_all_connections();  // this master may have been demoted meanwhile
        throw ReplicasBehind(target() + ": job " + std::string(job_id) + std::string(write) +
                             " acknowledged by " + std::to_string(acknowledged->value()) + " of " +
                             std::to_string(wait_replicas_) + " replicas within " +
                             std::to_string(wait_timeout_.count()) + " ms");
    }
}

void RedisConnectionPool::close_idle() {
    std::lock_guard lock(mutex_);
    open_connections_ -= idle_.size();
    idle_.clear();
}

void RedisConnectionPool::drop_all_connections() {
    std::lock_guard lock(mutex_);
    forget_connections();
}

void RedisConnectionPool::forget_connections() {
    ++generation_;
    open_connections_ -= idle_.size();
    idle_.clear();
}

std::string RedisConnectionPool::target() const {
    if (!sentinel_)
        return "redis " + endpoint_.address();
    std::lock_guard lock(mutex_);
    if (master_)
        return "redis master '" + sentinel_->master_name() + "' at " + master_->text() +
               " (from Sentinel)";
    return "redis master '" + sentinel_->master_name() + "' (sentinels " +
           sentinel_->sentinel_list() + ")";
}

// With sentinels, at most every master_check_interval_: asks them whether the master is still the
// one the pooled connections go to, and drops those connections when it is not. A master demoted
// while reachable keeps its clients' connections until Sentinel reconfigures it (8 s and more after
// SENTINEL FAILOVER here) and takes the writes meanwhile, to lose them. Sentinels that do not
// answer change nothing.
void RedisConnectionPool::check_master() {
    const auto now = std::chrono::steady_clock::now();
    auto due = next_master_check_.load();
    if (now.time_since_epoch().count() < due ||
        !next_master_check_.compare_exchange_strong(
            due, (now + master_check_interval_).time_since_epoch().count()))
        return;  // not due, or another thread checks
    std::optional<ServerAddress> known;
    {
        std::lock_guard lock(mutex_);
        known = master_;
    }
    if (!known)
        return;
    try {
        if (sentinel_->master(now + timeout_) != *known)
            drop_all_connections();  // the next connection counts the change
    } catch (const MasterNotFound&) {
    }
}

std::unique_ptr<RedisConnection> RedisConnectionPool::borrow(bool& reused,
                                                             std::uint64_t& generation) {
    if (sentinel_)
        check_master();
    {
        std::unique_lock lock(mutex_);
        if (!slot_freed_.wait_for(lock, timeout_, [&] { return leased_ < size_; })) {
            lock.unlock();  // failure() reads the master under the lock
            throw failure("no free connection within " + std::to_string(timeout_.count()) + " ms");
        }
        ++leased_;
        if (!idle_.empty()) {
            auto connection = std::move(idle_.back());
            idle_.pop_back();
            reused = true;
            generation = generation_;
            return connection;
        }
    }
    try {
        auto connection = connect();
        ++open_connections_;
        reused = false;
        std::lock_guard lock(mutex_);
        generation = generation_;
        return connection;
    } catch (const Poco::Exception& error) {
        give_back(nullptr, 0);
        throw failure(error.displayText());
    } catch (const std::runtime_error& error) {  // an error reply, no master found
        give_back(nullptr, 0);
        throw failure(error.what());
    }
}

void RedisConnectionPool::give_back(std::unique_ptr<RedisConnection> connection,
                                    std::uint64_t generation) {
    {
        std::lock_guard lock(mutex_);
        --leased_;
        if (connection && generation == generation_)
            idle_.push_back(std::move(connection));
        else if (connection)
            --open_connections_;
    }
    slot_freed_.notify_one();
}

// A new connection, logged in and on the right database: to the URL's server, or with
// sentinels to the master they name.
std::unique_ptr<RedisConnection> RedisConnectionPool::connect() {
    if (!sentinel_)
        return log_in({endpoint_.host, endpoint_.port}, timeout_);
    return connect_to_master(std::chrono::steady_clock::now() + timeout_);
}

// Asks the sentinels for the master and keeps the connection when ROLE there says master; a
// server that is unreachable or not (yet) the master means a failover is under way: asks again
// after a short pause, until `deadline`. Throws MasterNotFound or Poco::Exception.
std::unique_ptr<RedisConnection> RedisConnectionPool::connect_to_master(
    std::chrono::steady_clock::time_point deadline) {
    constexpr auto kPause = std::chrono::milliseconds(100);
    for (;;) {
        const ServerAddress master = sentinel_->master(deadline);
        std::string why;
        try {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            auto connection = log_in(master, std::max(left, std::chrono::milliseconds(1)));
            Poco::Redis::Array role_command;
            role_command << "ROLE";
            auto reply = connection->send(role_command);
            const auto* role =
                dynamic_cast<const Poco::Redis::Type<Poco::Redis::Array>*>(reply.get());
            const std::string name = role == nullptr || role->value().size() == 0
                                         ? std::string("unknown")
                                         : role->value().get<Poco::Redis::BulkString>(0).value();
            if (name == "master") {
                connection->set_timeout(to_timespan(timeout_));
                note_master(master);
                return connection;
            }
            why = "its ROLE is " + name;
        } catch (const Poco::Exception& error) {
            why = error.displayText();
        } catch (const RedisErrorReply& error) {
            why = error.what();
        }
        if (std::chrono::steady_clock::now() + kPause >= deadline) {
            throw MasterNotFound("the sentinels name " + master.text() + " as master '" +
                                 sentinel_->master_name() + "', but " + why);
        }
        std::this_thread::sleep_for(kPause);
    }
}

std::unique_ptr<RedisConnection> RedisConnectionPool::log_in(
    const ServerAddress& address, std::chrono::milliseconds timeout) const {
    auto connection = std::make_unique<RedisConnection>(
        Poco::Net::SocketAddress(address.host, address.port), to_timespan(timeout));
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

// Remembers the master just connected to; another than before (a failover) also drops the
// connections to the old one.
void RedisConnectionPool::note_master(const ServerAddress& master) {
    std::lock_guard lock(mutex_);
    if (master_ && *master_ != master) {
        ++master_changes_total_;
        forget_connections();
    }
    master_ = master;
}

sdk::Unavailable RedisConnectionPool::failure(const std::string& what) {
    ++errors_total_;
    return sdk::Unavailable(target() + ": " + what);
}

}  // namespace visiongw::redis
