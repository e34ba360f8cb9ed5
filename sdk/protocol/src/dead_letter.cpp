#include "visiongw/protocol/dead_letter.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace visiongw::protocol {
namespace {

// The body's job_id, if the body is a JSON object with one; any other body gives "".
std::string job_id_in(std::string_view body) {
    try {
        Poco::Dynamic::Var parsed = Poco::JSON::Parser().parse(std::string(body));
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr))
            return "";
        Poco::Dynamic::Var job_id = parsed.extract<Poco::JSON::Object::Ptr>()->get("job_id");
        return job_id.isString() ? job_id.extract<std::string>() : "";
    } catch (const Poco::Exception&) {
        return "";
    }
}

}  // namespace

std::optional<WorkerEvent> dead_letter_event(std::string_view message_id, std::string_view body,
                                             std::optional<std::string_view> reason) {
    WorkerEvent event;
    event.job_id = message_id.empty() ? job_id_in(body) : std::string(message_id);
    if (event.job_id.empty())
        return std::nullopt;
    event.type = WorkerEventType::failed;
    event.error = event_error("dead_lettered", "job message dead-lettered by the broker (reason: " +
                                                   std::string(reason.value_or("unknown")) + ")");
    return event;
}

}  // namespace visiongw::protocol
