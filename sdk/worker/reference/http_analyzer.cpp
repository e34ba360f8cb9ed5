#include "http_analyzer.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/PartSource.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <sstream>
#include <stdexcept>

namespace visiongw::worker::reference {
namespace {

constexpr std::size_t kMaxAnswerBytes = 16 * 1024 * 1024;

// A service the analyzer calls: its URL, a name for messages and the prefix of its error code.
struct Service {
    const Poco::URI& uri;
    std::string name;
    std::string error_code;
};

Poco::URI checked_url(const std::string& url, const char* key) {
    Poco::URI uri;
    try {
        uri = Poco::URI(url);
    } catch (const Poco::Exception& e) {
        throw std::invalid_argument(std::string(key) + " is not a URL: " + e.displayText());
    }
    if (uri.getScheme() != "http" || uri.getHost().empty()) {
        throw std::invalid_argument(std::string(key) + " must be an http://host[:port]/path URL");
    }
    return uri;
}

// Reads a stdio file through a std::istream, from where it stands.
class FileReadBuffer final : public std::streambuf {
public:
    explicit FileReadBuffer(std::FILE* file) : file_(file) {}

protected:
    int_type underflow() override {
        const std::size_t count = std::fread(buffer_, 1, sizeof buffer_, file_);
        if (count == 0)
            return traits_type::eof();
        setg(buffer_, buffer_, buffer_ + count);
        return traits_type::to_int_type(buffer_[0]);
    }

private:
    std::FILE* file_;
    char buffer_[64 * 1024];
};

// The job's image as the form's file part: the file the worker library opened and verified,
// never opened again by its path (which could name another file by now).
class ImagePart final : public Poco::Net::PartSource {
public:
    ImagePart(AnalysisContext& context, const std::string& media_type)
        : PartSource(media_type),
          buffer_(context.image()),
          stream_(&buffer_),
          filename_(std::filesystem::path(context.job().file_path).filename().string()),
          size_(static_cast<std::streamsize>(context.job().size_bytes)) {}

    std::istream& stream() override { return stream_; }
    const std::string& filename() const override { return filename_; }
    std::streamsize getContentLength() const override { return size_; }

private:
    FileReadBuffer buffer_;
    std::istream stream_;
    std::string filename_;
    std::streamsize size_;
};

std::string excerpt(const std::string& text) {
    return text.size() <= 200 ? text : text.substr(0, 200) + "…";
}

std::string read_bounded(std::istream& in, const Service& service) {
    std::string body;
    char buffer[8192];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        body.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (body.size() > kMaxAnswerBytes) {
            throw AnalysisError("malformed_response",
                                "the " + service.name + " answered more than " +
                                    std::to_string(kMaxAnswerBytes) + " bytes",
                                false);
        }
    }
    return body;
}

// Waits for the first byte of the answer, looking at `context.cancelled()` every 100 ms so a
// cancelled job stops waiting at once; throws Poco::TimeoutException at `timeout`.
void await_answer(Poco::Net::HTTPClientSession& session, const AnalysisContext& context,
                  std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!session.socket().poll(Poco::Timespan(100 * Poco::Timespan::MILLISECONDS),
                                  Poco::Net::Socket::SELECT_READ)) {
        if (context.cancelled())
            throw AnalysisError("stopped", "the analysis was stopped", false);
        if (std::chrono::steady_clock::now() >= deadline)
            throw Poco::TimeoutException();
    }
}

// Sends one POST (headers by `prepare`, the job's trace context, body by `write`) and returns
// the JSON object answered.
Poco::JSON::Object::Ptr call(const Service& service, const AnalysisContext& context,
                             std::chrono::milliseconds timeout,
                             const std::function<void(Poco::Net::HTTPRequest&)>& prepare,
                             const std::function<void(std::ostream&)>& write) {
    Poco::Net::HTTPClientSession session(service.uri.getHost(), service.uri.getPort());
    session.setTimeout(Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(timeout.count()) *
                                      Poco::Timespan::MILLISECONDS));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, service.uri.getPathAndQuery(),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    Poco::Net::HTTPResponse response;
    std::string body;
    try {
        prepare(request);
        const Job& job = context.job();
        if (!job.traceparent.empty())
            request.set("traceparent", job.traceparent);
        if (!job.tracestate.empty())
            request.set("tracestate", job.tracestate);
        std::ostream& out = session.sendRequest(request);
        write(out);
        out.flush();
        await_answer(session, context, timeout);
        body = read_bounded(session.receiveResponse(response), service);
    } catch (const Poco::TimeoutException&) {
        throw AnalysisError("timeout",
                            "the " + service.name + " did not answer within " +
                                std::to_string(timeout.count()) + " ms",
                            true);
    } catch (const Poco::Exception& e) {
        throw AnalysisError(service.error_code,
                            "cannot reach the " + service.name + " at " +
                                service.uri.getAuthority() + ": " + e.displayText(),
                            true);
    }
    const int status = response.getStatus();
    if (status < 200 || status > 299) {
        throw AnalysisError(service.error_code,
                            "the " + service.name + " answered " + std::to_string(status) + " " +
                                response.getReason() + ": " + excerpt(body),
                            status >= 500);
    }
    try {
        return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        throw AnalysisError("malformed_response",
                            "the " + service.name + " answered " + std::to_string(status) +
                                " with a body that is not a JSON object (" + e.displayText() +
                                "): " + excerpt(body),
                            false);
    }
}

std::string form_value(const Poco::Dynamic::Var& value) {
    if (value.isBoolean())
        return value.extract<bool>() ? "true" : "false";
    return value.toString();
}

// The time left for one call: the configured timeout, cut to the attempt's deadline.
std::chrono::milliseconds time_left(const AnalysisContext& context,
                                    std::chrono::milliseconds timeout) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        context.deadline() - std::chrono::steady_clock::now());
    return std::clamp(left, std::chrono::milliseconds(1), timeout);
}

}  // namespace

HttpAnalyzer::HttpAnalyzer(const HttpAnalyzerSettings& settings)
    : vision_service_(checked_url(settings.vision_service_url, "vision_service_url")),
      has_llm_service_(!settings.llm_service_url.empty()),
      timeout_(settings.timeout) {
    if (has_llm_service_)
        llm_service_ = checked_url(settings.llm_service_url, "llm_service_url");
}

Poco::JSON::Object::Ptr HttpAnalyzer::operator()(AnalysisContext& context) const {
    const Job& job = context.job();
    Poco::Net::HTMLForm form(Poco::Net::HTMLForm::ENCODING_MULTIPART);
    form.set("analysis_type", job.analysis_type);
    for (const auto& [name, value] : *job.parameters) {
        if (!value.isEmpty())
            form.set(name, form_value(value));
    }
    const std::string media_type =
        context.metadata().optValue<std::string>("content_type", "application/octet-stream");
    form.addPart("image", new ImagePart(context, media_type));
    const Service vision{vision_service_, "vision service", "vision_service_error"};
    Poco::JSON::Object::Ptr vision_result = call(
        vision, context, time_left(context, timeout_),
        [&](Poco::Net::HTTPRequest& request) {
            // A known length, not chunks: the whole body is on the wire once it is flushed,
            // so the answer can be awaited while watching for cancellation.
            form.prepareSubmit(request);
            request.setChunkedTransferEncoding(false);
            request.setContentLength(form.calculateContentLength());
        },
        [&](std::ostream& out) { form.write(out); });
    context.progress(50);
    if (!has_llm_service_ || job.analysis_type != "comprehensive")
        return vision_result;
    if (context.cancelled())
        throw AnalysisError("stopped", "the analysis was stopped", false);

    Poco::JSON::Object question;
    question.set("prompt", job.parameters->get("custom_prompt"));
    question.set("vision", vision_result);
    std::ostringstream text;
    question.stringify(text);
    const std::string body = text.str();
    const Service llm{llm_service_, "LLM service", "llm_service_error"};
    Poco::JSON::Object::Ptr llm_result = call(
        llm, context, time_left(context, timeout_),
        [&](Poco::Net::HTTPRequest& request) {
            request.setContentType("application/json");
            request.setContentLength(static_cast<std::streamsize>(body.size()));
        },
        [&](std::ostream& out) { out << body; });
    Poco::JSON::Object::Ptr result = new Poco::JSON::Object;
    result->set("vision", vision_result);
    result->set("llm", llm_result);
    return result;
}

}  // namespace visiongw::worker::reference
