#include "visiongw/amqp/connection.h"

#include <amqp_tcp_socket.h>

#include <tuple>
#include <vector>

namespace visiongw::amqp {
namespace {

constexpr amqp_channel_t kChannel = 1;
constexpr int kFrameMax = 131072;

amqp_bytes_t bytes_of(const std::string& text) {
    return amqp_bytes_t{text.size(), const_cast<char*>(text.data())};
}

std::string string_of(amqp_bytes_t bytes) {
    return bytes.len == 0 ? std::string()
                          : std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

timeval timeval_of(std::chrono::milliseconds duration) {
    auto count = duration.count() < 0 ? 0 : duration.count();
    return timeval{static_cast<time_t>(count / 1000),
                   static_cast<suseconds_t>(count % 1000 * 1000)};
}

void encode_value(const std::string& text, amqp_field_value_t& value) {
    value.kind = AMQP_FIELD_KIND_UTF8;
    value.value.bytes = bytes_of(text);
}

void encode_value(const FieldValue& field, amqp_field_value_t& value) {
    if (const auto* text = std::get_if<std::string>(&field)) {
        encode_value(*text, value);
    } else {
        value.kind = AMQP_FIELD_KIND_I64;
        value.value.i64 = std::get<std::int64_t>(field);
    }
}

// An amqp_table_t view of a std::map; valid while the map is.
class EncodedTable {
public:
    template <typename Value>
    explicit EncodedTable(const std::map<std::string, Value>& fields) {
        entries_.reserve(fields.size());
        for (const auto& [key, field] : fields) {
            amqp_table_entry_t entry{};
            entry.key = bytes_of(key);
            encode_value(field, entry.value);
            entries_.push_back(entry);
        }
    }
    amqp_table_t table() {
        return amqp_table_t{static_cast<int>(entries_.size()), entries_.data()};
    }

private:
    std::vector<amqp_table_entry_t> entries_;
};

MessageProperties decode_properties(const amqp_basic_properties_t& raw) {
    MessageProperties properties;
    if (raw._flags & AMQP_BASIC_CONTENT_TYPE_FLAG)
        properties.content_type = string_of(raw.content_type);
    if (raw._flags & AMQP_BASIC_MESSAGE_ID_FLAG)
        properties.message_id = string_of(raw.message_id);
    if (raw._flags & AMQP_BASIC_DELIVERY_MODE_FLAG)
        properties.delivery_mode = raw.delivery_mode;
    if (raw._flags & AMQP_BASIC_HEADERS_FLAG) {
        for (int i = 0; i < raw.headers.num_entries; ++i) {
            const amqp_table_entry_t& entry = raw.headers.entries[i];
            if (entry.value.kind == AMQP_FIELD_KIND_UTF8 ||
                entry.value.kind == AMQP_FIELD_KIND_BYTES) {
                properties.headers[string_of(entry.key)] = string_of(entry.value.value.bytes);
            }
        }
    }
    return properties;
}

std::string describe_close(std::uint16_t code, amqp_bytes_t text) {
    return std::to_string(code) + " " + string_of(text);
}

}  // namespace

std::string BrokerAddress::endpoint() const {
    return host + ":" + std::to_string(port);
}

BrokerAddress parse_broker_url(const std::string& url) {
    std::vector<char> text(url.begin(), url.end());
    text.push_back('\0');
    amqp_connection_info info{};
    amqp_default_connection_info(&info);
    if (amqp_parse_url(text.data(), &info) != AMQP_STATUS_OK || info.ssl) {
        throw std::invalid_argument("not an amqp://user:password@host:port/vhost URL");
    }
    // "amqp://host/" names the empty vhost, which nobody has: read it as the default "/".
    std::string vhost = info.vhost;
    return BrokerAddress{info.host, info.port, info.user, info.password,
                         vhost.empty() ? "/" : vhost};
}

BrokerList parse_broker_urls(const std::string& urls) {
    BrokerList brokers;
    std::size_t begin = 0;
    for (;;) {
        const std::size_t comma = urls.find(',', begin);
        std::string url = urls.substr(begin, comma == std::string::npos ? comma : comma - begin);
        url.erase(0, url.find_first_not_of(" \t"));
        url.erase(url.find_last_not_of(" \t") + 1);
        try {
            brokers.push_back(parse_broker_url(url));
        } catch (const std::invalid_argument& error) {
            throw std::invalid_argument("broker " + std::to_string(brokers.size() + 1) + " \"" +
                                        url + "\": " + error.what());
        }
        if (comma == std::string::npos)
            return brokers;
        begin = comma + 1;
    }
}

std::string endpoints(const BrokerList& brokers) {
    std::string text;
    for (const BrokerAddress& broker : brokers)
        text += (text.empty() ? "" : ", ") + broker.endpoint();
    return text;
}

AmqpConnection::AmqpConnection(const BrokerAddress& broker, const ConnectionOptions& options)
    : broker_(broker), state_(amqp_new_connection()) {
    if (state_ == nullptr)
        throw AmqpError("cannot allocate an AMQP connection");
    try {
        amqp_socket_t* socket = amqp_tcp_socket_new(state_);
        if (socket == nullptr)
            throw AmqpError("cannot create a TCP socket");
        timeval connect_timeout = timeval_of(options.connect_timeout);
        check(
            amqp_socket_open_noblock(socket, broker_.host.c_str(), broker_.port, &connect_timeout),
            "connect");
        check(amqp_set_handshake_timeout(state_, &connect_timeout), "set handshake timeout");
        timeval rpc_timeout = timeval_of(options.rpc_timeout);
        check(amqp_set_rpc_timeout(state_, &rpc_timeout), "set rpc timeout");
        check(amqp_login(state_, broker_.vhost.c_str(), 0, kFrameMax,
                         static_cast<int>(options.heartbeat.count()), AMQP_SASL_METHOD_PLAIN,
                         broker_.user.c_str(), broker_.password.c_str()),
              "login");
        amqp_channel_open(state_, kChannel);
        check(amqp_get_rpc_reply(state_), "channel.open");
    } catch (...) {
        amqp_destroy_connection(state_);
        throw;
    }
}

AmqpConnection::~AmqpConnection() {
    if (!broken_) {
        amqp_channel_close(state_, kChannel, AMQP_REPLY_SUCCESS);
        amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(state_);
}

void AmqpConnection::check(int status, const char* what) {
    if (status >= 0)
        return;
    broken_ = true;
    throw AmqpError(std::string(what) + ": " + amqp_error_string2(status));
}

void AmqpConnection::check(const amqp_rpc_reply_t& reply, const char* what) {
    switch (reply.reply_type) {
        case AMQP_RESPONSE_NORMAL:
            return;
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            check(reply.library_error < 0 ? reply.library_error : AMQP_STATUS_UNEXPECTED_STATE,
                  what);
            return;
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            broken_ = true;
            if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
                const auto* close = static_cast<amqp_connection_close_t*>(reply.reply.decoded);
                throw AmqpError(std::string(what) + ": connection closed by the broker: " +
                                describe_close(close->reply_code, close->reply_text));
            }
            if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
                const auto* close = static_cast<amqp_channel_close_t*>(reply.reply.decoded);
                throw AmqpError(std::string(what) + ": channel closed by the broker: " +
                                describe_close(close->reply_code, close->reply_text));
            }
            throw AmqpError(std::string(what) + ": unexpected answer from the broker");
        default:
            broken_ = true;
            throw AmqpError(std::string(what) + ": no answer from the broker");
    }
}

void AmqpConnection::declare_exchange(const std::string& name, const std::string& type) {
    amqp_exchange_declare(state_, kChannel, bytes_of(name), bytes_of(type), 0, 1, 0, 0,
                          amqp_empty_table);
    check(amqp_get_rpc_reply(state_), ("declare exchange " + name).c_str());
}

void AmqpConnection::declare_queue(const std::string& name, const FieldTable& arguments) {
    EncodedTable table(arguments);
    amqp_queue_declare(state_, kChannel, bytes_of(name), 0, 1, 0, 0, table.table());
    check(amqp_get_rpc_reply(state_), ("declare queue " + name).c_str());
}

void AmqpConnection::bind_queue(const std::string& queue, const std::string& exchange,
                                const std::string& routing_key) {
    amqp_queue_bind(state_, kChannel, bytes_of(queue), bytes_of(exchange), bytes_of(routing_key),
                    amqp_empty_table);
    check(amqp_get_rpc_reply(state_), ("bind queue " + queue + " to " + exchange).c_str());
}

void AmqpConnection::delete_queue(const std::string& name) {
    amqp_queue_delete(state_, kChannel, bytes_of(name), 0, 0);
    check(amqp_get_rpc_reply(state_), ("delete queue " + name).c_str());
}

void AmqpConnection::delete_exchange(const std::string& name) {
    amqp_exchange_delete(state_, kChannel, bytes_of(name), 0);
    check(amqp_get_rpc_reply(state_), ("delete exchange " + name).c_str());
}

void AmqpConnection::enable_confirms() {
    amqp_confirm_select(state_, kChannel);
    check(amqp_get_rpc_reply(state_), "confirm.select");
}

void AmqpConnection::publish(const std::string& exchange, const std::string& routing_key,
                             const MessageProperties& properties, const std::string& body,
                             bool mandatory) {
    EncodedTable headers(properties.headers);
    amqp_basic_properties_t raw{};
    raw._flags = AMQP_BASIC_HEADERS_FLAG;
    raw.headers = headers.table();
    if (!properties.content_type.empty()) {
        raw._flags |= AMQP_BASIC_CONTENT_TYPE_FLAG;
        raw.content_type = bytes_of(properties.content_type);
    }
    if (!properties.message_id.empty()) {
        raw._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
        raw.message_id = bytes_of(properties.message_id);
    }
    if (properties.delivery_mode != 0) {
        raw._flags |= AMQP_BASIC_DELIVERY_MODE_FLAG;
        raw.delivery_mode = properties.delivery_mode;
    }
    check(amqp_basic_publish(state_, kChannel, bytes_of(exchange), bytes_of(routing_key),
                             mandatory ? 1 : 0, 0, &raw, bytes_of(body)),
          "publish");
}

void AmqpConnection::set_prefetch(std::uint16_t count) {
    amqp_basic_qos(state_, kChannel, 0, count, 0);
    check(amqp_get_rpc_reply(state_), "basic.qos");
}

std::string AmqpConnection::consume(const std::string& queue, const FieldTable& arguments) {
    EncodedTable table(arguments);
    amqp_basic_consume_ok_t* ok = amqp_basic_consume(state_, kChannel, bytes_of(queue),
                                                     amqp_empty_bytes, 0, 0, 0, table.table());
    check(amqp_get_rpc_reply(state_), ("consume " + queue).c_str());
    return string_of(ok->consumer_tag);
}

void AmqpConnection::ack(std::uint64_t delivery_tag) {
    check(amqp_basic_ack(state_, kChannel, delivery_tag, 0), "basic.ack");
}

void AmqpConnection::nack(std::uint64_t delivery_tag, bool requeue) {
    check(amqp_basic_nack(state_, kChannel, delivery_tag, 0, requeue ? 1 : 0), "basic.nack");
}

std::pair<MessageProperties, std::string> AmqpConnection::read_content(const char* what) {
    amqp_message_t message{};
    check(amqp_read_message(state_, kChannel, &message, 0), what);
    std::pair<MessageProperties, std::string> content{decode_properties(message.properties),
                                                      string_of(message.body)};
    amqp_destroy_message(&message);
    return content;
}

int AmqpConnection::socket_fd() const {
    return amqp_get_sockfd(state_);
}

bool AmqpConnection::input_pending() const {
    return amqp_data_in_buffer(state_) || amqp_frames_enqueued(state_);
}

std::optional<ChannelEvent> AmqpConnection::next_event(std::chrono::milliseconds timeout) {
    amqp_maybe_release_buffers(state_);
    // rabbitmq-c polls for the time left until its deadline rounded down to whole milliseconds,
    // so a deadline of exactly `timeout` polls a millisecond less (and 1 ms not at all).
    timeval wait = timeval_of(timeout);
    if (timeout > std::chrono::milliseconds(0))
        wait.tv_usec += 999;  // stays below one second: timeval_of leaves at most 999,000 us
    amqp_frame_t frame{};
    int status = amqp_simple_wait_frame_noblock(state_, &frame, &wait);
    if (status == AMQP_STATUS_TIMEOUT)
        return std::nullopt;
    check(status, "read from the broker");
    if (frame.frame_type != AMQP_FRAME_METHOD)
        return std::nullopt;
    void* decoded = frame.payload.method.decoded;
    switch (frame.payload.method.id) {
        case AMQP_BASIC_ACK_METHOD: {
            const auto* ack = static_cast<amqp_basic_ack_t*>(decoded);
            return PublisherConfirm{ack->delivery_tag, ack->multiple != 0, true};
        }
        case AMQP_BASIC_NACK_METHOD: {
            const auto* nack = static_cast<amqp_basic_nack_t*>(decoded);
            return PublisherConfirm{nack->delivery_tag, nack->multiple != 0, false};
        }
        case AMQP_BASIC_DELIVER_METHOD: {
            const auto* deliver = static_cast<amqp_basic_deliver_t*>(decoded);
            Delivery delivery{string_of(deliver->consumer_tag),
                              deliver->delivery_tag,
                              deliver->redelivered != 0,
                              string_of(deliver->exchange),
                              string_of(deliver->routing_key),
                              {},
                              {}};
            std::tie(delivery.properties, delivery.body) = read_content("read a delivery");
            return delivery;
        }
        case AMQP_BASIC_RETURN_METHOD: {
            const auto* returned = static_cast<amqp_basic_return_t*>(decoded);
            ReturnedMessage message{returned->reply_code,
                                    string_of(returned->reply_text),
                                    string_of(returned->exchange),
                                    string_of(returned->routing_key),
                                    {},
                                    {}};
            std::tie(message.properties, message.body) = read_content("read a returned message");
            return message;
        }
        case AMQP_CHANNEL_CLOSE_METHOD: {
            const auto* close = static_cast<amqp_channel_close_t*>(decoded);
            broken_ = true;
            throw AmqpError("channel closed by the broker: " +
                            describe_close(close->reply_code, close->reply_text));
        }
        case AMQP_CONNECTION_CLOSE_METHOD: {
            const auto* close = static_cast<amqp_connection_close_t*>(decoded);
            broken_ = true;
            throw AmqpError("connection closed by the broker: " +
                            describe_close(close->reply_code, close->reply_text));
        }
        case AMQP_BASIC_CANCEL_METHOD: {
            const auto* cancel = static_cast<amqp_basic_cancel_t*>(decoded);
            broken_ = true;
            throw AmqpError("the broker cancelled consumer " + string_of(cancel->consumer_tag) +
                            " (was its queue deleted?)");
        }
        default:
            return std::nullopt;
    }
}

}  // namespace visiongw::amqp
