// The `rabbitmq` plugin library: its option table and factory.
#include "rabbitmq_transport.h"
#include "visiongw/sdk/export.h"

namespace {

const visiongw_option kOptions[] = {
    {"url", VISIONGW_OPTION_STRING, "amqp://guest:guest@127.0.0.1:5672/", 0, nullptr, nullptr,
     "broker URL amqp://user:password@host:port/vhost (env RABBITMQ_URL)"},
    {"exchange", VISIONGW_OPTION_STRING, "visiongw.jobs", 0, nullptr, nullptr,
     "direct exchange for job messages (env RABBITMQ_EXCHANGE_NAME)"},
    {"queue", VISIONGW_OPTION_STRING, "visiongw.jobs", 0, nullptr, nullptr,
     "job queue the workers consume (env RABBITMQ_QUEUE_NAME)"},
    {"routing_key", VISIONGW_OPTION_STRING, "vision.analyze", 0, nullptr, nullptr,
     "routing key of job messages (env RABBITMQ_ROUTING_KEY)"},
    {"queue_type", VISIONGW_OPTION_STRING, "classic", 0, nullptr, nullptr,
     "job queue type: classic or quorum"},
    {"delivery_limit", VISIONGW_OPTION_INT, "5", 0, "1", nullptr,
     "deliveries of a job before a quorum queue dead-letters it"},
    {"message_ttl_ms", VISIONGW_OPTION_INT, "0", 0, "0", nullptr,
     "job message time-to-live in the queue; 0 = none"},
    {"events_exchange", VISIONGW_OPTION_STRING, "visiongw.events", 0, nullptr, nullptr,
     "direct exchange workers publish events to"},
    {"events_queue", VISIONGW_OPTION_STRING, "visiongw.events", 0, nullptr, nullptr,
     "queue of worker events the gateway consumes"},
    {"cancel_exchange", VISIONGW_OPTION_STRING, "visiongw.cancel", 0, nullptr, nullptr,
     "fanout exchange of cancellations"},
    {"cancel_stream", VISIONGW_OPTION_STRING, "visiongw.cancellations", 0, nullptr, nullptr,
     "stream keeping cancellations for workers that start later"},
    {"cancel_retention", VISIONGW_OPTION_STRING, "1D", 0, nullptr, nullptr,
     "how long the cancel stream keeps cancellations and workers remember them (x-max-age: "
     "a number and Y, M, D, h, m or s, e.g. 1D, 12h)"},
    {"heartbeat_seconds", VISIONGW_OPTION_INT, "10", 0, "1", "600", "AMQP heartbeat interval"},
    {"connect_timeout_ms", VISIONGW_OPTION_INT, "2000", 0, "100", "60000",
     "bound on the TCP connect and on the login handshake"},
    {"max_reconnect_backoff_ms", VISIONGW_OPTION_INT, "5000", 0, "100", "600000",
     "longest pause between reconnect attempts"},
};

}  // namespace

VISIONGW_PLUGIN("rabbitmq", visiongw::sdk::kQueueKind, "1.0.0", kOptions,
                visiongw::rabbitmq::RabbitmqTransport)
