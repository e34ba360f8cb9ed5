#include "app/routes.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>

#include <algorithm>
#include <charconv>
#include <sstream>
#include <thread>

#include "app/openapi_document.h"
#include "http/http_error.h"
#include "http/json_answer.h"
#include "jobs/job_error.h"
#include "jobs/job_id.h"
#include "jobs/job_json.h"
#include "ops/json_text.h"

namespace visiongw::core {
namespace {

using Clock = std::chrono::steady_clock;

// How long an event stream may stay open before the client must reconnect, and how often an
// idle one gets a comment line (which also finds clients that went away).
constexpr auto kStreamLifetime = std::chrono::minutes(10);
constexpr auto kStreamHeartbeat = std::chrono::seconds(15);
constexpr auto kStreamPoll = std::chrono::seconds(1);

std::string rfc3339(std::chrono::system_clock::time_point time) {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch());
    return Poco::DateTimeFormatter::format(Poco::Timestamp(micros.count()), "%Y-%m-%dT%H:%M:%SZ");
}

// The id of a job's event frame: the state it carries (a frame is sent when one of these
// changes). A client that reconnects with it as Last-Event-ID is not sent that state again.
std::string event_id(const sdk::JobRecord& job) {
    return job.updated_at + "/" + std::string(sdk::to_string(job.status)) + "/" +
           std::to_string(job.progress);
}

void health(Gateway&, HttpCall& call) {
    send_json(call, 200, R"({"status":"ok"})");
}

void ready(Gateway& gateway, HttpCall& call) {
    auto [ok, checks] = gateway.readiness.evaluate();
    std::ostringstream body;
    body << "{\"status\":" << (ok ? "\"ready\"" : "\"unavailable\"") << ",\"checks\":{";
    for (std::size_t i = 0; i < checks.size(); ++i) {
        const auto& check = checks[i];
        body << (i ? "," : "") << json_quote(check.name)
             << ":{\"status\":" << (check.ok ? "\"up\"" : "\"down\"")
             << ",\"latency_ms\":" << check.latency_ms << ",\"detail\":" << json_quote(check.detail)
             << "}";
    }
    body << "}}";
    if (!ok)
        call.response.set("Retry-After", "5");
    send_json(call, ok ? 200 : 503, body.str());
}

void metrics(Gateway& gateway, HttpCall& call) {
    std::string text = gateway.registry.render();
    call.response.setContentType(std::string(MetricsRegistry::content_type));
    call.response.setContentLength(static_cast<std::streamsize>(text.size()));
    call.response.sendBuffer(text.data(), text.size());
}

void openapi(Gateway&, HttpCall& call) {
    send_json(call, 200, std::string(kOpenApiDocument));
}

// A file of the web console, with headers that keep the page to its own origin's resources.
void send_console_file(Gateway& gateway, HttpCall& call, const std::string& name) {
    const ConsoleFile* file = gateway.console.find(name);
    if (file == nullptr) {
        throw HttpError(404, "not_found",
                        gateway.console.empty()
                            ? std::string("the web console is not installed (see [gateway] "
                                          "console_dir)")
                            : "no console file " + name.substr(0, 100));
    }
    auto& response = call.response;
    response.setContentType(file->content_type);
    response.set("Cache-Control", "no-cache");
    response.set("X-Content-Type-Options", "nosniff");
    response.set("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' blob: data:; base-uri 'none'; "
                 "form-action 'none'; frame-ancestors 'none'");
    response.setContentLength(static_cast<std::streamsize>(file->bytes.size()));
    response.sendBuffer(file->bytes.data(), file->bytes.size());
}

void console_index(Gateway& gateway, HttpCall& call) {
    send_console_file(gateway, call, "index.html");
}

void console_file(Gateway& gateway, HttpCall& call) {
    send_console_file(gateway, call, call.path_params["file"]);
}

// The request's Idempotency-Key: empty when it has none; 1–255 visible ASCII characters
// (IETF httpapi Idempotency-Key, Stripe) or the request is refused before its body is read.
std::string idempotency_key_of(const HttpCall& call) {
    static const std::string kHeader = "Idempotency-Key";
    if (!call.request.has(kHeader))
        return "";
    const std::string& key = call.request.get(kHeader);
    const bool visible =
        std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7F; });
    if (key.empty() || key.size() > 255 || !visible) {
        throw HttpError(400, "invalid_idempotency_key",
                        "Idempotency-Key must be 1 to 255 visible ASCII characters (got " +
                            std::to_string(key.size()) + " characters" +
                            (visible ? "" : ", some not visible ASCII") + ")");
    }
    return key;
}

void analyze(Gateway& gateway, HttpCall& call) {
    const std::string idempotency_key = idempotency_key_of(call);
    std::string boundary = multipart_boundary(call.request.getContentType());
    std::optional<std::uint64_t> declared_length;
    if (call.request.hasContentLength())
        declared_length = static_cast<std::uint64_t>(call.request.getContentLength64());
    StepClock clock(call.step_ms);
    ReceivedUpload upload = receive_upload(call.body, declared_length, boundary,
                                           gateway.plugins.storage(), gateway.upload_limits);
    call.body_consumed = true;
    clock.mark(SubmitStep::upload);
    std::uint64_t size = upload.size;
    Submitted submitted = gateway.job_service.submit(
        std::move(upload), call.identity,
        RequestOrigin{call.request_id, call.trace, idempotency_key}, clock);
    gateway.metrics.uploaded_bytes.increment(static_cast<double>(size));
    gateway.metrics.upload_size.observe(static_cast<double>(size));
    const sdk::JobRecord& job = submitted.job;
    call.job_id = job.id;
    call.response.set("Location", "/api/v1/vision/jobs/" + job.id);
    // A replay answers as the first submit did, 202, with the job as it is now (Stripe's
    // Idempotent-Replayed tells the two apart).
    if (submitted.replayed)
        call.response.set("Idempotent-Replayed", "true");
    send_json(call, 202, job_json(job));
}

void get_job(Gateway& gateway, HttpCall& call) {
    call.job_id = canonical_job_id(call.path_params["job_id"]);
    send_json(call, 200, job_json(gateway.job_service.get(call.job_id, call.identity)));
}

// The job list's query (status, analysis_type, limit, cursor) as a JobQuery; throws JobError
// invalid naming the parameter that is wrong.
sdk::JobQuery job_query(Gateway& gateway, const HttpCall& call) {
    constexpr std::size_t kDefaultLimit = 50, kMaxLimit = 200;
    sdk::JobQuery query;
    query.limit = kDefaultLimit;
    auto invalid = [](const std::string& message) {
        return JobError(JobErrorKind::invalid, "invalid_field", message);
    };
    for (const auto& [name, value] : Poco::URI(call.request.getURI()).getQueryParameters()) {
        if (name == "status") {
            query.status = sdk::parse_job_status(value);
            if (!query.status) {
                throw invalid(
                    "status must be queued, processing, completed, failed or "
                    "cancelled, got '" +
                    value.substr(0, 40) + "'");
            }
        } else if (name == "analysis_type") {
            const auto types = gateway.job_service.analysis_types();
            if (std::find(types.begin(), types.end(), value) == types.end()) {
                std::string known;
                for (const auto& type : types)
                    known += (known.empty() ? "" : ", ") + type;
                throw JobError(JobErrorKind::invalid, "unknown_analysis_type",
                               "analysis_type '" + value.substr(0, 64) +
                                   "' is not known; known types: " + known);
            }
            query.analysis_type = value;
        } else if (name == "limit") {
            std::size_t limit = 0;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
            if (value.empty() || ec != std::errc() || end != value.data() + value.size() ||
                limit < 1 || limit > kMaxLimit) {
                throw invalid("limit must be a whole number from 1 to " +
                              std::to_string(kMaxLimit) + ", got '" + value.substr(0, 40) + "'");
            }
            query.limit = limit;
        } else if (name == "cursor") {
            auto position = decode_cursor(value);
            if (!position) {
                throw JobError(JobErrorKind::invalid, "invalid_cursor",
                               "cursor is not one this gateway handed out; start again without "
                               "it");
            }
            query.after = *position;
        }
    }
    return query;
}

void list_jobs(Gateway& gateway, HttpCall& call) {
    sdk::JobQuery query = job_query(gateway, call);
    send_json(call, 200, job_list_json(gateway.job_service.list(std::move(query), call.identity)));
}

void analysis_types(Gateway& gateway, HttpCall& call) {
    send_json(call, 200, analysis_types_json(gateway.plugins.validators()));
}

void cancel_job(Gateway& gateway, HttpCall& call) {
    call.job_id = canonical_job_id(call.path_params["job_id"]);
    send_json(call, 200,
              job_json(gateway.job_service.cancel(call.job_id, call.identity, call.request_id)));
}

// Server-Sent Events: the current state (unless Last-Event-ID says the client has it), then
// every change, closed after a final state.
void job_events(Gateway& gateway, HttpCall& call) {
    call.job_id = canonical_job_id(call.path_params["job_id"]);
    JobChanges::Watch changes(gateway.job_service.changes(), call.job_id);  // before the first read
    sdk::JobRecord record = gateway.job_service.get(call.job_id, call.identity);
    const bool has_current = call.request.get("Last-Event-ID", "") == event_id(record);
    if (has_current && sdk::is_final(record.status)) {
        // Nothing will follow: 204 tells an EventSource to stop reconnecting.
        call.response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NO_CONTENT);
        call.response.setContentLength(0);
        call.response.send();
        return;
    }
    if (++gateway.event_streams > gateway.settings.max_event_streams) {
        --gateway.event_streams;
        throw JobError(JobErrorKind::unavailable, "service_unavailable",
                       "too many open event streams; retry later or poll the job");
    }
    gateway.metrics.event_streams.increment();
    struct StreamSlot {
        Gateway& gateway;
        ~StreamSlot() {
            --gateway.event_streams;
            gateway.metrics.event_streams.decrement();
        }
    } slot{gateway};

    auto& response = call.response;
    response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_OK);
    response.setContentType("text/event-stream");
    response.set("Cache-Control", "no-cache");
    response.set("X-Accel-Buffering", "no");
    response.setChunkedTransferEncoding(true);
    response.setKeepAlive(false);
    std::ostream& out = response.send();
    auto send = [&](const sdk::JobRecord& job) {
        out << "event: status\nid: " << event_id(job) << "\ndata: " << job_json(job) << "\n\n";
        out.flush();
    };
    if (!has_current)
        send(record);
    auto opened = Clock::now();
    auto last_write = opened;
    while (!sdk::is_final(record.status) && out.good() && !gateway.stopping &&
           Clock::now() - opened < kStreamLifetime) {
        // A change made by another gateway is not notified here: read at least every poll.
        changes.wait(kStreamPoll);
        sdk::JobRecord now = gateway.job_service.get(call.job_id, call.identity);
        if (now.status != record.status || now.progress != record.progress ||
            now.updated_at != record.updated_at) {
            record = std::move(now);
            send(record);
            last_write = Clock::now();
        } else if (Clock::now() - last_write >= kStreamHeartbeat) {
            out << ": keep-alive\n\n";
            out.flush();
            last_write = Clock::now();
        }
    }
}

void file_stats(Gateway& gateway, HttpCall& call) {
    sdk::StorageStats stats = gateway.plugins.storage().stats(std::chrono::system_clock::now());
    std::ostringstream body;
    body << "{\"backends\":[{\"name\":" << json_quote(gateway.settings.storage_plugin)
         << ",\"files\":" << stats.files << ",\"bytes\":" << stats.bytes
         << ",\"oldest\":" << (stats.oldest ? json_quote(rfc3339(*stats.oldest)) : "null")
         << ",\"expired_files\":" << stats.expired_files
         << ",\"expired_bytes\":" << stats.expired_bytes
         << ",\"free_bytes\":" << (stats.free_bytes ? std::to_string(*stats.free_bytes) : "null")
         << "}]}";
    send_json(call, 200, body.str());
}

void file_cleanup(Gateway& gateway, HttpCall& call) {
    CleanupReport report = gateway.janitor.cleanup();
    send_json(call, 200,
              "{\"removed_files\":" + std::to_string(report.removed_files) +
                  ",\"freed_bytes\":" + std::to_string(report.freed_bytes) +
                  ",\"kept_files\":" + std::to_string(report.kept_in_use) + "}");
}

constexpr RouteEntry kRoutes[] = {
    {"GET", "/", RouteAccess::open, console_index},
    {"GET", "/console/{file}", RouteAccess::open, console_file},
    {"GET", "/health", RouteAccess::open, health},
    {"GET", "/health/ready", RouteAccess::open, ready},
    {"GET", "/health/metrics", RouteAccess::open, metrics},
    {"GET", "/openapi.json", RouteAccess::open, openapi},
    {"POST", "/api/v1/vision/analyze", RouteAccess::submit, analyze, RouteBody::image_upload},
    {"GET", "/api/v1/vision/analysis-types", RouteAccess::read, analysis_types},
    {"GET", "/api/v1/vision/jobs", RouteAccess::read, list_jobs},
    {"GET", "/api/v1/vision/jobs/{job_id}", RouteAccess::read, get_job},
    {"GET", "/api/v1/vision/jobs/{job_id}/events", RouteAccess::read, job_events},
    {"DELETE", "/api/v1/vision/jobs/{job_id}/cancel", RouteAccess::read, cancel_job},
    {"GET", "/api/v1/vision/files/stats", RouteAccess::admin, file_stats},
    {"POST", "/api/v1/vision/files/cleanup", RouteAccess::admin, file_cleanup},
};

}  // namespace

std::span<const RouteEntry> route_table() {
    return kRoutes;
}

Router make_routes(Gateway& gateway) {
    Router router;
    for (const RouteEntry& entry : kRoutes) {
        router.add(
            Route{entry.method, entry.pattern, entry.access,
                  [&gateway, handler = entry.handler](HttpCall& call) { handler(gateway, call); },
                  entry.body});
    }
    return router;
}

}  // namespace visiongw::core
