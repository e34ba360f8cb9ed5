#include "job_message.h"

#include "visiongw/protocol/trace_context.h"

namespace visiongw::worker {
namespace {

Poco::JSON::Object::Ptr metadata_object(const protocol::ImageMetadata& metadata) {
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object;
    object->set("format", metadata.format);
    object->set("width", metadata.width);
    object->set("height", metadata.height);
    object->set("size_bytes", metadata.size_bytes);
    object->set("original_filename", metadata.original_filename);
    object->set("content_type", metadata.content_type);
    return object;
}

Poco::JSON::Object::Ptr parameters_object(const protocol::Parameters& parameters) {
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object;
    for (const auto& [name, value] : parameters) {
        std::visit(
            [&](const auto& held) {
                if constexpr (std::is_same_v<std::decay_t<decltype(held)>, std::monostate>)
                    object->set(name, Poco::Dynamic::Var());
                else
                    object->set(name, held);
            },
            value);
    }
    return object;
}

}  // namespace

Job parse_job_message(std::string_view body, const DeliveryHeaders& headers) {
    protocol::JobMessage message = protocol::decode_job_message(body);
    Job job;
    job.job_id = std::move(message.job_id);
    job.request_id = headers.request_id;
    const protocol::TraceContext trace =
        protocol::continue_trace(headers.traceparent, headers.tracestate);
    job.trace_id = trace.span.trace_id;
    job.span_id = trace.span.span_id;
    job.traceparent = trace.traceparent();
    job.tracestate = trace.tracestate;
    job.analysis_type = std::move(message.analysis_type);
    job.file_path = std::move(message.file_path);
    job.file_url = std::move(message.file_url);
    job.file_hash = std::move(message.file_hash);
    job.size_bytes = message.metadata.size_bytes;
    job.metadata = metadata_object(message.metadata);
    job.parameters = parameters_object(message.parameters);
    return job;
}

}  // namespace visiongw::worker
