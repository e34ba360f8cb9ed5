#include "config/gateway_settings.h"

#include <filesystem>

#include "config/startup_error.h"
#include "upload/image_probe.h"

namespace visiongw::core {
namespace {

constexpr visiongw_option kGateway[] = {
    {.name = "listen",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "0.0.0.0:8080",
     .env = "VISIONGW_LISTEN",
     .description = "host:port to listen on"},
    {.name = "threads",
     .type = VISIONGW_OPTION_INT,
     .default_value = "64",
     .min = "2",
     .max = "4096",
     .description = "worker threads; each open connection holds one while it is served"},
    {.name = "max_queued",
     .type = VISIONGW_OPTION_INT,
     .default_value = "256",
     .min = "1",
     .max = "65536",
     .description =
         "accepted connections that may wait for a thread; beyond that they are refused"},
    {.name = "keep_alive_seconds",
     .type = VISIONGW_OPTION_INT,
     .default_value = "5",
     .min = "0",
     .max = "300",
     .description = "how long an idle keep-alive connection keeps its thread"},
    {.name = "read_timeout_seconds",
     .type = VISIONGW_OPTION_INT,
     .default_value = "30",
     .min = "1",
     .max = "3600",
     .description = "a client that sends nothing for this long is cut off (slow clients)"},
    {.name = "header_timeout_seconds",
     .type = VISIONGW_OPTION_INT,
     .default_value = "10",
     .min = "1",
     .max = "600",
     .description = "a request whose headers are not complete this long after the connection "
                    "(or the previous answer) is cut off; must exceed keep_alive_seconds"},
    {.name = "body_grace_seconds",
     .type = VISIONGW_OPTION_INT,
     .default_value = "10",
     .min = "1",
     .max = "600",
     .description = "a request body may take this long to get going before min_body_rate applies"},
    {.name = "min_body_rate",
     .type = VISIONGW_OPTION_INT,
     .default_value = "1024",
     .min = "0",
     .max = "1073741824",
     .description = "slowest request body accepted after the grace, in bytes a second, for uploads "
                    "and for the drain of an unread body alike (a slower one is cut off); 0: no "
                    "minimum"},
    {.name = "body_rate_window_seconds",
     .type = VISIONGW_OPTION_INT,
     .default_value = "5",
     .min = "1",
     .max = "600",
     .description = "a body ahead of min_body_rate may then pause at most this long (a burst buys "
                    "no long silence)"},
    {.name = "max_connections_per_client",
     .type = VISIONGW_OPTION_INT,
     .default_value = "16",
     .min = "0",
     .max = "4095",
     .description = "connections one client address may have open (or waiting) at once; beyond it "
                    "503 and the connection is closed; must be below threads; 0: no cap (behind a "
                    "proxy, which is one address: cap there)"},
    {.name = "shutdown_grace_seconds",
     .type = VISIONGW_OPTION_INT,
     .default_value = "20",
     .min = "0",
     .max = "3600",
     .description = "on SIGTERM, in-flight requests get this long to finish"},
    {.name = "max_event_streams",
     .type = VISIONGW_OPTION_INT,
     .default_value = "32",
     .min = "0",
     .max = "4096",
     .description = "open job event streams at once; each holds a thread (beyond: 503)"},
    {.name = "cors_origins",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "",
     .description = "browser origins allowed to call the API (CORS), comma separated, e.g. "
                    "https://app.example.com; * allows any; empty: none"},
    {.name = "console_dir",
     .type = VISIONGW_OPTION_STRING,
     .default_value = VISIONGW_DEFAULT_CONSOLE_DIR,
     .description = "folder of the web console's files, served at /; relative to the visiongw "
                    "executable; empty: no console"},
};

// The defaults name the plugins this build ships (set by plugins/CMakeLists.txt), so the core
// itself names none.
constexpr visiongw_option kPlugins[] = {
    {.name = "dir",
     .type = VISIONGW_OPTION_STRING,
     .default_value = VISIONGW_DEFAULT_PLUGIN_DIR,
     .description = "folder of plugin libraries; relative to the visiongw executable"},
    {.name = "storage",
     .type = VISIONGW_OPTION_STRING,
     .default_value = VISIONGW_DEFAULT_STORAGE_PLUGIN,
     .description = "storage backend plugin"},
    {.name = "queue",
     .type = VISIONGW_OPTION_STRING,
     .default_value = VISIONGW_DEFAULT_QUEUE_PLUGIN,
     .description = "queue transport plugin"},
    {.name = "job_store",
     .type = VISIONGW_OPTION_STRING,
     .default_value = VISIONGW_DEFAULT_JOB_STORE_PLUGIN,
     .description = "job store plugin"},
    {.name = "analysis",
     .type = VISIONGW_OPTION_STRING,
     .default_value = VISIONGW_DEFAULT_ANALYSIS_PLUGINS,
     .description = "analysis-type validator plugins, comma separated"},
};

constexpr visiongw_option kUpload[] = {
    {.name = "max_file_size",
     .type = VISIONGW_OPTION_INT,
     .default_value = "10485760",
     .min = "1",
     .env = "FILE_STORAGE_MAX_FILE_SIZE",
     .description = "largest image in bytes"},
    {.name = "max_pixels",
     .type = VISIONGW_OPTION_INT,
     .default_value = "40000000",
     .min = "1",
     .description = "largest width x height accepted (decompression bombs)"},
    {.name = "formats",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "jpeg, png, webp, gif, bmp, tiff",
     .description = "accepted image formats, by magic bytes"},
    {.name = "max_field_bytes",
     .type = VISIONGW_OPTION_INT,
     .default_value = "65536",
     .min = "64",
     .max = "1048576",
     .description = "largest text form field"},
    {.name = "publish_timeout_ms",
     .type = VISIONGW_OPTION_INT,
     .default_value = "5000",
     .min = "10",
     .max = "60000",
     .description = "how long a submit waits for the broker's confirm before answering 503"},
    {.name = "idempotency_key_ttl_seconds",
     .type = VISIONGW_OPTION_INT,
     .default_value = "86400",
     .min = "1",
     .max = "2592000",
     .description = "how long a submit's Idempotency-Key keeps its job after the answer"},
};

constexpr const char* kLogLevels[] = {"debug", "info", "warning", "error", nullptr};

constexpr visiongw_option kLog[] = {
    {.name = "level",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "info",
     .choices = kLogLevels,
     .description = "lowest level written"},
};

constexpr visiongw_option kAuth[] = {
    {.name = "enabled",
     .type = VISIONGW_OPTION_BOOL,
     .default_value = "false",
     .description = "require an API key on /api routes"},
    {.name = "keys_file",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "",
     .description = "file of '<sha256-of-key> <tenant> <role>' lines; relative to the ini file"},
};

constexpr visiongw_option kRateLimit[] = {
    {.name = "submit_per_second",
     .type = VISIONGW_OPTION_DOUBLE,
     .default_value = "0",
     .min = "0",
     .description =
         "submits per second per client (API key, or address without auth); 0 = unlimited"},
    {.name = "submit_burst",
     .type = VISIONGW_OPTION_INT,
     .default_value = "20",
     .min = "1",
     .max = "1000000",
     .description = "submit burst size"},
    {.name = "read_per_second",
     .type = VISIONGW_OPTION_DOUBLE,
     .default_value = "0",
     .min = "0",
     .description = "reads per second per client; 0 = unlimited"},
    {.name = "read_burst",
     .type = VISIONGW_OPTION_INT,
     .default_value = "100",
     .min = "1",
     .max = "1000000",
     .description = "read burst size"},
};

constexpr visiongw_option kJanitor[] = {
    {.name = "interval_seconds",
     .type = VISIONGW_OPTION_INT,
     .default_value = "300",
     .min = "1",
     .max = "86400",
     .description = "how often expired, unreferenced images are removed"},
};

constexpr visiongw_option kHealth[] = {
    {.name = "vision_service_url",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "",
     .env = "VISION_SERVICE_URL",
     .description = "base URL of the vision service whose /health readiness checks"},
    {.name = "cache_ms",
     .type = VISIONGW_OPTION_INT,
     .default_value = "1000",
     .min = "0",
     .max = "60000",
     .description =
         "readiness answers are reused this long, so probe storms do not hammer dependencies"},
};

constexpr visiongw_option kWebhooks[] = {
    {.name = "allowed_hosts",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "",
     .description = "hosts a submit's callback_url may name, comma separated: exact host names "
                    "or IPv4 addresses and *.example.com for any subdomain; empty: webhooks are "
                    "off and a callback_url is refused"},
    {.name = "allow_private_addresses",
     .type = VISIONGW_OPTION_BOOL,
     .default_value = "false",
     .description = "let callback hosts resolve to private, loopback, link-local or reserved "
                    "addresses (local testing only: it opens the gateway to SSRF)"},
    {.name = "secret",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "",
     .env = "VISIONGW_WEBHOOK_SECRET",
     .description = "HMAC-SHA256 key of X-Visiongw-Signature, for tenants without their own; "
                    "at least 16 bytes, required when allowed_hosts is set"},
    {.name = "tenant_secrets_file",
     .type = VISIONGW_OPTION_STRING,
     .default_value = "",
     .description = "file of '<tenant> <secret>' lines giving tenants their own signing key; "
                    "relative to the ini file"},
    {.name = "timeout_seconds",
     .type = VISIONGW_OPTION_INT,
     .default_value = "10",
     .min = "1",
     .max = "120",
     .description = "a delivery's connect, send and answer may each take this long"},
    {.name = "first_retry_ms",
     .type = VISIONGW_OPTION_INT,
     .default_value = "5000",
     .min = "10",
     .max = "3600000",
     .description = "wait after the first failed delivery; each next wait doubles"},
    {.name = "max_retry_seconds",
     .type = VISIONGW_OPTION_INT,
     .default_value = "600",
     .min = "1",
     .max = "86400",
     .description = "longest wait between two deliveries"},
    {.name = "give_up_after_seconds",
     .type = VISIONGW_OPTION_INT,
     .default_value = "86400",
     .min = "1",
     .max = "2592000",
     .description = "no delivery is tried once the waits would add up to more: the webhook "
                    "becomes failed"},
    {.name = "poll_interval_ms",
     .type = VISIONGW_OPTION_INT,
     .default_value = "1000",
     .min = "10",
     .max = "60000",
     .description = "how often the job store is asked for due deliveries (a job that reaches "
                    "its final state on this gateway is delivered at once)"},
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
        {"webhooks", kWebhooks, "completion webhooks"},
    };
    return sections;
}

const std::set<std::string>& foreign_sections() {
    static const std::set<std::string> sections = [] {
        std::vector<std::string> names = split_list(VISIONGW_FOREIGN_SECTIONS);
        return std::set<std::string>(names.begin(), names.end());
    }();
    return sections;
}

std::vector<std::string> configured_plugins(const GatewaySettings& settings) {
    std::vector<std::string> names{settings.storage_plugin, settings.job_store_plugin,
                                   settings.queue_plugin};
    names.insert(names.end(), settings.analysis_plugins.begin(), settings.analysis_plugins.end());
    return names;
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
    s.body_grace_seconds = static_cast<int>(gateway.get_int("body_grace_seconds"));
    s.min_body_rate = static_cast<std::uint64_t>(gateway.get_int("min_body_rate"));
    s.body_rate_window_seconds = static_cast<int>(gateway.get_int("body_rate_window_seconds"));
    s.max_connections_per_client = static_cast<int>(gateway.get_int("max_connections_per_client"));
    if (s.max_connections_per_client >= s.threads) {
        throw fail("[gateway] max_connections_per_client",
                   "must be below threads (" + std::to_string(s.threads) +
                       "), or one client could take every thread");
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

    s.console_dir = resolve(executable_dir, gateway.get_string("console_dir"));

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
    s.idempotency_key_ttl_seconds = upload.get_int("idempotency_key_ttl_seconds");

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

    auto webhooks = section("webhooks");
    s.webhook_allowed_hosts = split_list(webhooks.get_string("allowed_hosts"));
    for (const std::string& host : s.webhook_allowed_hosts) {
        const std::string_view name =
            host.starts_with("*.") ? std::string_view(host).substr(2) : std::string_view(host);
        if (name.empty() || name.find_first_of("*/:@ ") != std::string_view::npos ||
            name.find("..") != std::string_view::npos) {
            throw fail("[webhooks] allowed_hosts",
                       "must be host names, addresses or *.suffix patterns, got '" + host + "'");
        }
    }
    s.webhook_allow_private_addresses = webhooks.get_bool("allow_private_addresses");
    s.webhook_secret = webhooks.get_string("secret");
    if (!s.webhook_allowed_hosts.empty() && s.webhook_secret.size() < 16) {
        throw fail("[webhooks] secret",
                   "must be at least 16 bytes when allowed_hosts is set (webhooks are signed)");
    }
    s.webhook_tenant_secrets_file =
        resolve(ini_dir.empty() ? "." : ini_dir, webhooks.get_string("tenant_secrets_file"));
    s.webhook_timeout_seconds = static_cast<int>(webhooks.get_int("timeout_seconds"));
    s.webhook_first_retry_ms = webhooks.get_int("first_retry_ms");
    s.webhook_max_retry_seconds = webhooks.get_int("max_retry_seconds");
    s.webhook_give_up_after_seconds = webhooks.get_int("give_up_after_seconds");
    s.webhook_poll_interval_ms = static_cast<int>(webhooks.get_int("poll_interval_ms"));
    return s;
}

}  // namespace visiongw::core
