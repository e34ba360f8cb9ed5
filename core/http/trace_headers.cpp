#include "http/trace_headers.h"

#include <Poco/String.h>

#include <vector>

namespace visiongw::core {

protocol::TraceContext trace_of(const Poco::Net::MessageHeader& headers) {
    std::vector<std::string> traceparent;
    std::vector<std::string> tracestate;
    for (const auto& [name, value] : headers) {
        if (Poco::icompare(name, "traceparent") == 0)
            traceparent.push_back(value);
        else if (Poco::icompare(name, "tracestate") == 0)
            tracestate.push_back(value);
    }
    return protocol::continue_trace(traceparent, tracestate);
}

}  // namespace visiongw::core
