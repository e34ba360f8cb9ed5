// A small C++ face of rabbitmq-c: one connection with one channel, every failure an AmqpError.
#pragma once

#include <amqp.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace visiongw::amqp {

// Any failure talking to the broker: socket, login, a refused declaration, a closed channel.
// The connection that threw it is unusable afterwards; make a new one.
class AmqpError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Where the broker is and who we are, from an amqp:// URL.
struct BrokerAddress {
    std::string host;
    int port = 5672;
    std::string user;
    std::string password;
    std::string vhost;

    // "host:port", for log lines and error messages (never the credentials).
    std::string endpoint() const;
};

// Parses `amqp://user:password@host:port/vhost`; throws std::invalid_argument when it does not.
BrokerAddress parse_broker_url(const std::string& url);

// The nodes of one cluster, tried in turn; never empty.
using BrokerList = std::vector<BrokerAddress>;

// Parses one amqp:// URL or several separated by commas (one per cluster node, e.g.
// "amqp://u:p@10.0.0.1:5672/,amqp://u:p@10.0.0.2:5672/"); throws std::invalid_argument naming
// the entry that is not a URL.
BrokerList parse_broker_urls(const std::string& urls);

// "host:port" of each broker, comma-separated, for log lines and errors (never credentials).
std::string endpoints(const BrokerList& brokers);

struct ConnectionOptions {
    std::chrono::seconds heartbeat{10};
    // Bounds the TCP connect and, separately, the login handshake.
    std::chrono::milliseconds connect_timeout{2000};
    // Bounds each synchronous command (declare, bind, qos, consume, confirm.select).
    std::chrono::milliseconds rpc_timeout{10000};
};

// AMQP field-table values this project uses (declare/consume arguments).
using FieldValue = std::variant<std::string, std::int64_t>;
using FieldTable = std::map<std::string, FieldValue>;

// The message properties this project reads and writes; `headers` holds string headers only.
struct MessageProperties {
    std::string content_type;
    std::string message_id;
    std::uint8_t delivery_mode = 0;  // 2 = persistent, 0 = unset
    std::map<std::string, std::string> headers;
};

inline constexpr std::uint8_t kPersistent = 2;

// A message given to one of our consumers; ack or nack it by `delivery_tag`.
struct Delivery {
    std::string consumer_tag;
    std::uint64_t delivery_tag = 0;
    bool redelivered = false;
    std::string exchange;
    std::string routing_key;
    MessageProperties properties;
    std::string body;
};

// The broker's answer to published messages up to `delivery_tag` (only it, unless `multiple`).
struct PublisherConfirm {
    std::uint64_t delivery_tag = 0;
    bool multiple = false;
    bool ack = true;  // false: basic.nack, the broker lost the message
};

// A mandatory message the broker could not route; its confirm follows it.
struct ReturnedMessage {
    std::uint16_t reply_code = 0;
    std::string reply_text;
    std::string exchange;
    std::string routing_key;
    MessageProperties properties;
    std::string body;
};

using ChannelEvent = std::variant<Delivery, PublisherConfirm, ReturnedMessage>;

// One open, logged-in connection with channel 1 open. Not thread-safe: one thread owns it and
// must call next_event() more often than the heartbeat interval, since rabbitmq-c only answers
// heartbeats inside library calls. The destructor closes politely and never throws.
class AmqpConnection {
public:
    AmqpConnection(const BrokerAddress& broker, const ConnectionOptions& options);
    ~AmqpConnection();
    AmqpConnection(const AmqpConnection&) = delete;
    AmqpConnection& operator=(const AmqpConnection&) = delete;

    void declare_exchange(const std::string& name, const std::string& type);
    void declare_queue(const std::string& name, const FieldTable& arguments = {});
    void bind_queue(const std::string& queue, const std::string& exchange,
                    const std::string& routing_key);
    void delete_queue(const std::string& name);
    void delete_exchange(const std::string& name);

    // Turns on publisher confirms: every later publish gets the next delivery tag, from 1.
    void enable_confirms();
    void publish(const std::string& exchange, const std::string& routing_key,
                 const MessageProperties& properties, const std::string& body, bool mandatory);

    void set_prefetch(std::uint16_t count);
    // Starts a manual-acknowledgement consumer; returns its consumer tag.
    std::string consume(const std::string& queue, const FieldTable& arguments = {});
    void ack(std::uint64_t delivery_tag);
    void nack(std::uint64_t delivery_tag, bool requeue);

    // Waits up to `timeout` for the next delivery, confirm or return, answering heartbeats
    // meanwhile; nullopt when none came. Throws AmqpError when the broker closed the channel or
    // connection, cancelled a consumer, or the socket failed.
    std::optional<ChannelEvent> next_event(std::chrono::milliseconds timeout);

    // For a thread that waits on more than this connection: the socket to poll for input, and
    // whether input was read already (then next_event() has something without the socket).
    int socket_fd() const;
    bool input_pending() const;

private:
    // Throw AmqpError naming `what` when a call failed, and mark the connection broken.
    void check(int status, const char* what);
    void check(const amqp_rpc_reply_t& reply, const char* what);
    std::pair<MessageProperties, std::string> read_content(const char* what);

    BrokerAddress broker_;
    amqp_connection_state_t state_;
    bool broken_ = false;  // after a failure only the socket is closed, no polite close
};

}  // namespace visiongw::amqp
