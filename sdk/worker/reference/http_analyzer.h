// The reference worker's `http` analyzer: hands the image to an external vision service (and,
// for `comprehensive`, the custom prompt to an LLM service) and returns their JSON.
#pragma once

#include <Poco/URI.h>

#include <chrono>
#include <string>

#include "visiongw/worker/analysis.h"

namespace visiongw::worker::reference {

struct HttpAnalyzerSettings {
    std::string vision_service_url;
    std::string llm_service_url;  // empty: no LLM call
    std::chrono::milliseconds timeout{10000};
};

// POSTs multipart/form-data (`image` streamed from disk, `analysis_type`, each non-null
// parameter as a field) to the vision service. A 2xx JSON object is the result; with an LLM
// service and `comprehensive`, it POSTs {"prompt", "vision"} there too and returns
// {"vision", "llm"}. Failures: no answer within the timeout → `timeout`; no connection or
// 5xx → `<service>_error`, retryable; 4xx → `<service>_error`; a 2xx that is not a JSON
// object → `malformed_response` (neither retryable). Stateless: safe on many threads.
class HttpAnalyzer {
public:
    // Throws std::invalid_argument when a URL is not http://host[:port]/path.
    explicit HttpAnalyzer(const HttpAnalyzerSettings& settings);

    Poco::JSON::Object::Ptr operator()(AnalysisContext& context) const;

private:
    Poco::URI vision_service_;
    Poco::URI llm_service_;
    bool has_llm_service_;
    std::chrono::milliseconds timeout_;
};

}  // namespace visiongw::worker::reference
