// Where the real RabbitMQ and Redis of a test run are: scripts/test starts them and exports
// their addresses. A test that needs one fails (never skips) when it is not there.
#pragma once

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace visiongw::testing {

inline std::string required_env(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        throw std::runtime_error(std::string(name) +
                                 " is not set: run the tests through scripts/test, which starts "
                                 "RabbitMQ, Redis and the object store and exports their "
                                 "addresses");
    }
    return value;
}

inline std::string redis_url() {
    return required_env("VISIONGW_TEST_REDIS_URL");
}
inline std::string amqp_url() {
    return required_env("VISIONGW_TEST_AMQP_URL");
}
// The node name for `rabbitmqctl -n NODE stop_app|start_app` in broker-outage tests.
inline std::string rabbit_node() {
    return required_env("VISIONGW_TEST_RABBIT_NODE");
}
inline std::string redis_port() {
    std::string url = redis_url();
    return url.substr(url.rfind(':') + 1);
}

}  // namespace visiongw::testing
