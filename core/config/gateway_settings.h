// The gateway's own ini sections, declared as option tables like any plugin's, and the typed
// settings read from them.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "config/ini_document.h"
#include "config/option_table.h"

namespace visiongw::core {

struct CoreSection {
    const char* name;
    OptionTable options;
    const char* description;
};

// Every section the gateway itself reads, in the order of the sample config.
const std::vector<CoreSection>& core_sections();
// Sections other programs of this build read from the same file, which the gateway accepts
// without reading them (the build names them: see VISIONGW_FOREIGN_SECTIONS in
// core/CMakeLists.txt).
const std::set<std::string>& foreign_sections();

struct GatewaySettings {
    std::string listen_host;
    std::uint16_t listen_port = 8080;
    int threads = 64;
    int max_queued = 256;
    int keep_alive_seconds = 5;
    int read_timeout_seconds = 30;
    int header_timeout_seconds = 10;
    int body_grace_seconds = 10;
    std::uint64_t min_body_rate = 1024;  // bytes a second; 0: none
    int body_rate_window_seconds = 5;
    int max_connections_per_client = 16;  // 0: no cap
    int shutdown_grace_seconds = 20;
    int max_event_streams = 32;
    std::vector<std::string> cors_origins;  // empty: no CORS; {"*"}: any origin
    std::string console_dir;                // empty: no console

    std::string plugin_dir;
    std::string storage_plugin;
    std::string queue_plugin;
    std::string job_store_plugin;
    std::vector<std::string> analysis_plugins;

    std::uint64_t max_file_size = 10485760;
    std::uint64_t max_pixels = 40000000;
    std::string formats;
    std::uint64_t max_field_bytes = 65536;
    int publish_timeout_ms = 5000;
    std::int64_t idempotency_key_ttl_seconds = 86400;

    std::string log_level;

    bool auth_enabled = false;
    std::string keys_file;

    double submit_per_second = 0;
    std::uint32_t submit_burst = 0;
    double read_per_second = 0;
    std::uint32_t read_burst = 0;

    int janitor_interval_seconds = 300;
    std::string vision_service_url;
    int readiness_cache_ms = 1000;

    std::vector<std::string> webhook_allowed_hosts;  // lowercase patterns; empty: webhooks off
    bool webhook_allow_private_addresses = false;
    std::string webhook_secret;
    std::string webhook_tenant_secrets_file;  // empty: none
    int webhook_timeout_seconds = 10;
    std::int64_t webhook_first_retry_ms = 5000;
    std::int64_t webhook_max_retry_seconds = 600;
    std::int64_t webhook_give_up_after_seconds = 86400;
    int webhook_poll_interval_ms = 1000;
};

// Validates every core section and returns the typed settings. Relative plugin_dir and
// keys_file are resolved against `executable_dir` and the ini's folder respectively.
// Throws StartupError.
GatewaySettings read_gateway_settings(const IniDocument& document,
                                      const std::string& executable_dir);

// Every plugin the settings choose, in the order they are made: storage, job store, queue,
// then the analysis types.
std::vector<std::string> configured_plugins(const GatewaySettings& settings);

// Splits "a, b,c" into trimmed, non-empty names.
std::vector<std::string> split_list(const std::string& text);

}  // namespace visiongw::core
