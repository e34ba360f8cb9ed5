#include "config/gateway_settings.h"

#include <filesystem>

#include "config/startup_error.h"
#include "upload/image_probe.h"

namespace visiongw::core {
namespace {

constexpr visiongw_option kGateway[] = {
    {"listen", VISIONGW_OPTION_STRING, "0.0.0.0:8080", 0, nullptr, nullptr,
     "host:port to listen on (env VISIONGW_LISTEN)"},
    {"threads", VISIONGW_OPTION_INT, "64", 0, "2", "4096",
     "worker threads; each open connection holds one while it is served"},
    {"max_queued", VISIONGW_OPTION_INT, "256", 0, "1", "65536",
     "accepted connections that may wait for a thread; beyond that they are refused"},
    {"keep_alive_seconds", VISIONGW_OPTION_INT, "5", 0, "0", "300",
     "how long an idle keep-alive connection keeps its thread"},
    {"read_timeout_seconds", VISIONGW_OPTION_INT, "30", 0, "1", "3600",
     "a client that sends nothing for this long is cut off (slow clients)"},
    {"header_timeout_seconds", VISIONGW_OPTION_INT, "10", 0, "1", "600",
     "a request whose headers are not complete this long after the connection (or the previous "
     "answer) is cut off; must exceed keep_alive_seconds"},
    {"shutdown_grace_seconds", VISIONGW_OPTION_INT, "20", 0, "0", "3600",
     "on SIGTERM, in-flight requests get this long to finish"},
    {"max_event_streams", VISIONGW_OPTION_INT, "32", 0, "0", "4096",
     "open job event streams at once; each holds a thread (beyond: 503)"},
    {"cors_origins", VISIONGW_OPTION_STRING, "", 0, nullptr, nullptr,
     "browser origins allowed to call the API (CORS), comma separated, e.g. "
     "https://app.example.com; * allows any; empty: none"},
};

constexpr visiongw_option kPlugins[] = {
    {"dir", VISIONGW_OPTION_STRING, "../plugins", 0, nullptr, nullptr,
     "folder of plugin libraries; relative to the visiongw executable"},
    {"storage", VISIONGW_OPTION_STRING, "local", 0, nullptr, nullptr, "storage backend plugin"},
    {"queue", VISIONGW_OPTION_STRING, "rabbitmq", 0, nullptr, nullptr, "queue transport plugin"},
    {"job_store", VISIONGW_OPTION_STRING, "redis", 0, nullptr, nullptr, "job store plugin"},
    {"analysis", VISIONGW_OPTION_STRING, "pest, disease, comprehensive", 0, nullptr, nullptr,
     "analysis-type validator plugins, comma separated"},
};

constexpr visiongw_option kUpload[] = {
    {"max_file_size", VISIONGW_OPTION_INT, "10485760", 0, "1", nullptr,
     "largest image in bytes (env FILE_STORAGE_MAX_FILE_SIZE)"},
    {"max_pixels", VISIONGW_OPTION_INT, "40000000", 0, "1", nullptr,
     "largest width x height accepted (decompression bombs)"},
    {"formats", VISIONGW_OPTION_STRING, "jpeg, png, webp, gif, bmp, tiff", 0, nullptr, nullptr,
     "accepted image formats, by magic bytes"},
    {"max_field_bytes", VISIONGW_OPTION_INT, "65536", 0, "64", "1048576",
     "largest text form field"},
    {"publish_timeout_ms", VISIONGW_OPTION_INT, "5000", 0, "10", "60000",
     "how long a submit waits for the broker's confirm before answering 503"},
};

constexpr visiongw_option kLog[] = {
    {"level", VISIONGW_OPTION_STRING, "info", 0, nullptr, nullptr, "debug, info, warning or error"},
};

constexpr visiongw_option kAuth[] = {
    {"enabled", VISIONGW_OPTION_BOOL, "false", 0, nullptr, nullptr,
     "require an API key on /api routes"},
    {"keys_file", VISIONGW_OPTION_STRING, "", 0, nullptr, nullptr,
     "file of '<sha256-of-key> <tenant> <role>' lines; relative to the ini file"},
};

constexpr visiongw_option kRateLimit[] = {
    {"submit_per_second", VISIONGW_OPTION_DOUBLE, "0", 0, "0", nullptr,
     "submits per second per client (API key, or address without auth); 0 = unlimited"},
    {"submit_burst", VISIONGW_OPTION_INT, "20", 0, "1", "1000000", "submit burst size"},
    {"read_per_second", VISIONGW_OPTION_DOUBLE, "0", 0, "0", nullptr,
     "reads per second per client; 0 = unlimited"},
    {"read_burst", VISIONGW_OPTION_INT, "100", 0, "1", "1000000", "read burst size"},
};

constexpr visiongw_option kJanitor[] = {
    {"interval_seconds", VISIONGW_OPTION_INT, "300", 0, "1", "86400",
     "how often expired, unreferenced images are removed"},
};

constexpr visiongw_option kHealth[] = {
    {"vision_service_url", VISIONGW_OPTION_STRING, "", 0, nullptr, nullptr,
     "base URL of the vision service whose /health readiness checks (env VISION_SERVICE_URL)"},
    {"cache_ms", VISIONGW_OPTION_INT, "1000", 0, "0", "60000",
     "readiness answers are reused this long, so probe storms do not hammer dependencies"},
};

std::string resolve(const std::string& base, const std::string& path) {
    if (path.empty())
        return path;
    std::filesystem::path p(path);
    return (p.is_absolute() ? p : std::filesystem::path(base) / p).lexically_normal().string();
}

}  // namespace

const std::vector<CoreSection>& core_sections() {
    static const std::vector<CoreSection> sections{
        {"gateway", kGateway, "HTTP server"},
        {"plugins", kPlugins, "which plugin serves each role"},
        {"upload", kUpload, "what an upload may be"},
        {"log", kLog, "structured logs on stdout"},
        {"auth", kAuth, "API keys and tenants"},
        {"rate_limit", kRateLimit, "token buckets per client"},
        {"janitor", kJanitor, "stored image lifecycle"},
        {"health", kHealth, "readiness checks"},
    };
    return sections;
}

const std::set<std::string>& foreign_sections() {
    static const std::set<std::string> sections{"worker"};
    return sections;
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> names;
    std::string current;
    auto flush = [&] {
        auto first = current.find_first_not_of(" \t");
        if (first != std::string::npos) {
            names.push_back(current.substr(first, current.find_last_not_of(" \t") - first + 1));
        }
        current.clear();
    };
    for (char c : text) {
        if (c == ',') {
            flush();
        } else {
            current += c;
        }
    }
    flush();
    return names;
}

GatewaySettings read_gateway_settings(const IniDocument& document,
                                      const std::string& executable_dir) {
    auto section = [&](const char* name) {
        for (const auto& core : core_sections()) {
            if (std::string(core.name) == name)
                return validate_section(document, name, core.options);
        }
        throw StartupError(std::string("no core section ") + name);
    };
    auto fail = [&](const std::string& where, const std::string& why) {
        return StartupError(document.path() + ": " + where + ": " + why);
    };
    GatewaySettings s;
    auto gateway = section("gateway");
    const std::string& listen = gateway.get_string("listen");
    auto colon = listen.rfind(':');
    int port = -1;
    if (colon != std::string::npos) {
        try {
            std::size_t used = 0;
            port = std::stoi(listen.substr(colon + 1), &used);
            if (used != listen.size() - colon - 1)
                port = -1;
        } catch (const std::exception&) {
            port = -1;
        }
    }
    if (port < 0 || port > 65535) {
        throw fail("[gateway] listen", "must be host:port, got '" + listen + "'");
    }
    s.listen_host = listen.substr(0, colon);
    if (s.listen_host.size() > 2 && s.listen_host.front() == '[') {
        s.listen_host = s.listen_host.substr(1, s.listen_host.size() - 2);
    }
    s.listen_port = static_cast<std::uint16_t>(port);
    s.threads = static_cast<int>(gateway.get_int("threads"));
    s.max_queued = static_cast<int>(gateway.get_int("max_queued"));
    s.keep_alive_seconds = static_cast<int>(gateway.get_int("keep_alive_seconds"));
    s.read_timeout_seconds = static_cast<int>(gateway.get_int("read_timeout_seconds"));
    s.header_timeout_seconds = static_cast<int>(gateway.get_int("header_timeout_seconds"));
    if (s.header_timeout_seconds <= s.keep_alive_seconds) {
        throw fail("[gateway] header_timeout_seconds",
                   "must exceed keep_alive_seconds (" + std::to_string(s.keep_alive_seconds) +
                       "), or idle keep-alive connections would be cut as slow clients");
    }
    s.shutdown_grace_seconds = static_cast<int>(gateway.get_int("shutdown_grace_seconds"));
    s.max_event_streams = static_cast<int>(gateway.get_int("max_event_streams"));
    if (s.max_event_streams >= s.threads) {
        throw fail("[gateway] max_event_streams",
                   "must be below threads (" + std::to_string(s.threads) +
                       "), or event streams could take every thread");
    }

    s.cors_origins = split_list(gateway.get_string("cors_origins"));
    for (const std::string& origin : s.cors_origins) {
        const bool any = origin == "*" && s.cors_origins.size() == 1;
        const auto scheme_end = origin.find("://");
        const bool web_origin = (origin.starts_with("http://") || origin.starts_with("https://")) &&
                                origin.size() > scheme_end + 3 &&
                                origin.find('/', scheme_end + 3) == std::string::npos;
        if (!any && !web_origin) {
            throw fail("[gateway] cors_origins",
                       "must be * alone or origins like https://app.example.com (scheme, host, "
                       "optional port, no path), got '" +
                           origin + "'");
        }
    }

    auto plugins = section("plugins");
    s.plugin_dir = resolve(executable_dir, plugins.get_string("dir"));
    s.storage_plugin = plugins.get_string("storage");
    s.queue_plugin = plugins.get_string("queue");
    s.job_store_plugin = plugins.get_string("job_store");
    s.analysis_plugins = split_list(plugins.get_string("analysis"));
    if (s.analysis_plugins.empty()) {
        throw fail("[plugins] analysis", "names no analysis type; at least one is needed");
    }

    auto upload = section("upload");
    s.max_file_size = static_cast<std::uint64_t>(upload.get_int("max_file_size"));
    s.max_pixels = static_cast<std::uint64_t>(upload.get_int("max_pixels"));
    s.formats = upload.get_string("formats");
    try {
        parse_image_formats(s.formats);
    } catch (const std::invalid_argument& e) {
        throw fail("[upload] formats", e.what());
    }
    s.max_field_bytes = static_cast<std::uint64_t>(upload.get_int("max_field_bytes"));
    s.publish_timeout_ms = static_cast<int>(upload.get_int("publish_timeout_ms"));

    s.log_level = section("log").get_string("level");

    auto auth = section("auth");
    s.auth_enabled = auth.get_bool("enabled");
    std::string ini_dir = std::filesystem::path(document.path()).parent_path().string();
    s.keys_file = resolve(ini_dir.empty() ? "." : ini_dir, auth.get_string("keys_file"));
    if (s.auth_enabled && s.keys_file.empty()) {
        throw fail("[auth] keys_file", "is required when enabled = true");
    }

    auto limits = section("rate_limit");
    s.submit_per_second = limits.get_double("submit_per_second");
    s.submit_burst = static_cast<std::uint32_t>(limits.get_int("submit_burst"));
    s.read_per_second = limits.get_double("read_per_second");
    s.read_burst = static_cast<std::uint32_t>(limits.get_int("read_burst"));

    s.janitor_interval_seconds = static_cast<int>(section("janitor").get_int("interval_seconds"));
    auto health = section("health");
    s.vision_service_url = health.get_string("vision_service_url");
    s.readiness_cache_ms = static_cast<int>(health.get_int("cache_ms"));
    return s;
}

}  // namespace visiongw::core
