#include "json_log.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Object.h>
#include <Poco/Timestamp.h>

#include <mutex>

namespace visiongw::worker::reference {
namespace {

Poco::Dynamic::Var text_or_null(const std::string& text) {
    return text.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(text);
}

}  // namespace

void write_json_line(std::ostream& out, const LogRecord& record) {
    Poco::JSON::Object line(Poco::JSON_PRESERVE_KEY_ORDER);
    line.set("time", Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%dT%H:%M:%S.%iZ"));
    line.set("level", level_name(record.level));
    line.set("message", record.message);
    line.set("job_id", text_or_null(record.job_id));
    line.set("request_id", text_or_null(record.request_id));
    line.set("trace_id", text_or_null(record.trace_id));
    line.set("span_id", text_or_null(record.span_id));
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    line.stringify(out);
    out << '\n' << std::flush;
}

std::function<void(const LogRecord&)> json_line_log(std::ostream& out, LogLevel lowest) {
    return [&out, lowest](const LogRecord& record) {
        if (record.level >= lowest)
            write_json_line(out, record);
    };
}

}  // namespace visiongw::worker::reference
