#include "app/gateway_app.h"

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>
#include <Poco/Util/HelpFormatter.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "app/gateway.h"
#include "app/request_handler.h"
#include "app/routes.h"
#include "config/startup_error.h"
#include "http/connection_guard.h"

namespace visiongw::core {
namespace {

constexpr const char* kVersion = "0.1.0";

std::string executable_dir() {
    std::error_code error;
    auto path = std::filesystem::read_symlink("/proc/self/exe", error);
    return error ? std::string(".") : path.parent_path().string();
}

struct LoadedConfig {
    IniDocument document;
    GatewaySettings settings;
};

LoadedConfig load_config(const std::string& path) {
    IniDocument document = IniDocument::load(path);
    document.apply_environment(IniDocument::process_environment());
    GatewaySettings settings = read_gateway_settings(document, executable_dir());
    return {std::move(document), std::move(settings)};
}

// Every plugin's numbers, their health as a gauge, and storage usage (computed at most every
// 10 s: it walks the store).
void add_collectors(MetricsRegistry& registry, Gateway& gateway) {
    registry.add_collector([&gateway] {
        std::vector<Sample> samples;
        for (const auto& [name, plugin] : gateway.plugins.all()) {
            for (auto& metric : plugin->metrics()) {
                samples.push_back(
                    {metric.name, metric.help, metric.type, {{"plugin", name}}, metric.value});
            }
        }
        for (const auto& check : gateway.readiness.evaluate().second) {
            samples.push_back({"visiongw_dependency_up",
                               "1 when the dependency answered its last readiness check",
                               "gauge",
                               {{"dependency", check.name}},
                               check.ok ? 1.0 : 0.0});
        }
        return samples;
    });
    struct StorageCache {
        std::mutex mutex;
        std::chrono::steady_clock::time_point at{};
        sdk::StorageStats stats;
    };
    auto cache = std::make_shared<StorageCache>();
    registry.add_collector([&gateway, cache] {
        std::lock_guard<std::mutex> guard(cache->mutex);
        auto now = std::chrono::steady_clock::now();
        if (cache->at == std::chrono::steady_clock::time_point{} ||
            now - cache->at > std::chrono::seconds(10)) {
            cache->stats = gateway.plugins.storage().stats(std::chrono::system_clock::now());
            cache->at = now;
        }
        const auto& s = cache->stats;
        std::vector<Sample> samples{
            {"visiongw_storage_files", "stored images", "gauge", {}, double(s.files)},
            {"visiongw_storage_bytes", "bytes of stored images", "gauge", {}, double(s.bytes)},
            {"visiongw_storage_expired_files",
             "stored images past their TTL",
             "gauge",
             {},
             double(s.expired_files)}};
        if (s.free_bytes) {
            samples.push_back({"visiongw_storage_free_bytes",
                               "free space of the store",
                               "gauge",
                               {},
                               double(*s.free_bytes)});
        }
        return samples;
    });
}

}  // namespace

void GatewayApp::defineOptions(Poco::Util::OptionSet& options) {
    using Poco::Util::Option;
    options.addOption(Option("help", "h", "show this help and exit"));
    options.addOption(Option("version", "v", "print the version and exit"));
    options.addOption(
        Option("config", "c", "the ini file (default etc/visiongw.ini)").argument("PATH"));
    options.addOption(Option("check-config", "", "validate the config, load every plugin, exit"));
    options.addOption(Option("list-plugins", "", "list the plugins of the plugin folder"));
    options.addOption(
        Option("describe-plugin", "", "print a plugin's option table").argument("NAME"));
    options.addOption(
        Option("hash-key", "", "print the key-file hash of an API key and exit").argument("KEY"));
    options.addOption(Option("config-reference", "",
                             "print every config section and key as Markdown, from the option "
                             "tables"));
}

void GatewayApp::handleOption(const std::string& name, const std::string& value) {
    if (name == "help")
        command_ = Command::help;
    if (name == "version")
        command_ = Command::version;
    if (name == "config")
        config_path_ = value;
    if (name == "check-config")
        command_ = Command::check_config;
    if (name == "list-plugins")
        command_ = Command::list_plugins;
    if (name == "config-reference")
        command_ = Command::config_reference;
    if (name == "describe-plugin") {
        command_ = Command::describe_plugin;
        plugin_name_ = value;
    }
    if (name == "hash-key") {
        command_ = Command::hash_key;
        plugin_name_ = value;
    }
    if (name == "help" || name == "version")
        stopOptionsProcessing();
}

int GatewayApp::main(const std::vector<std::string>& args) {
    if (command_ == Command::help) {
        Poco::Util::HelpFormatter help(options());
        help.setCommand("visiongw");
        help.setUsage(
            "[--config PATH] [--check-config [PATH] | --list-plugins | --describe-plugin NAME]");
        help.setHeader("Vision Gateway: an API gateway for image-analysis jobs.");
        help.format(std::cout);
        return EXIT_OK;
    }
    if (command_ == Command::version) {
        std::cout << "visiongw " << kVersion << " (plugin SDK ABI " << VISIONGW_SDK_ABI_VERSION
                  << ")\n";
        return EXIT_OK;
    }
    if (command_ == Command::hash_key) {
        std::cout << hash_api_key(plugin_name_) << "\n";
        return EXIT_OK;
    }
    if (command_ == Command::check_config && args.size() == 1) {
        // `visiongw --check-config PATH` names the ini to check without --config.
        config_path_ = args.front();
    } else if (!args.empty()) {
        std::cerr << "visiongw: unexpected argument '" << args.front() << "'; see --help\n";
        return EXIT_USAGE;
    }
    try {
        LoadedConfig config = load_config(config_path_);
        switch (command_) {
            case Command::list_plugins: {
                PluginHost host(config.settings.plugin_dir);
                for (const auto& library : host.libraries()) {
                    std::cout << library.name << "\t" << library.kind << "\t" << library.version
                              << "\t" << library.path << "\n";
                }
                return EXIT_OK;
            }
            case Command::describe_plugin: {
                PluginHost host(config.settings.plugin_dir);
                const PluginLibrary& library = host.find(plugin_name_);
                std::cout << library.name << " " << library.version << " (" << library.kind
                          << " plugin, " << library.path << ")\noptions of [" << library.name
                          << "]:\n"
                          << describe_options(library.options);
                return EXIT_OK;
            }
            case Command::config_reference: {
                PluginHost host(config.settings.plugin_dir);
                for (const auto& section : core_sections()) {
                    std::cout << "#### `[" << section.name << "]` — " << section.description
                              << "\n\n"
                              << markdown_options(section.options) << "\n";
                }
                for (const auto& library : host.libraries()) {
                    std::cout << "#### `[" << library.name << "]` — " << library.kind
                              << " plugin\n\n"
                              << markdown_options(library.options) << "\n";
                }
                return EXIT_OK;
            }
            case Command::check_config: {
                JsonLog log(std::cerr, parse_log_level(config.settings.log_level));
                PluginHost host(config.settings.plugin_dir);
                PluginSet plugins(host, config.document, config.settings, log);
                std::cout << config.document.path() << ": configuration OK ("
                          << plugins.all().size() << " plugins loaded)\n";
                return EXIT_OK;
            }
            default:
                break;
        }
    } catch (const StartupError& e) {
        std::cerr << "visiongw: " << e.what() << "\n";
        return EXIT_CONFIG;
    } catch (const std::exception& e) {
        std::cerr << "visiongw: " << e.what() << "\n";
        return EXIT_CONFIG;
    }
    return serve();
}

int GatewayApp::serve() {
    std::unique_ptr<LoadedConfig> config;
    std::unique_ptr<JsonLog> log;
    try {
        config = std::make_unique<LoadedConfig>(load_config(config_path_));
        log = std::make_unique<JsonLog>(std::cout, parse_log_level(config->settings.log_level));
    } catch (const std::exception& e) {
        std::cerr << "visiongw: " << e.what() << "\n";
        return EXIT_CONFIG;
    }
    const GatewaySettings& settings = config->settings;
    try {
        PluginHost host(settings.plugin_dir);
        PluginSet plugins(host, config->document, settings, *log);
        MetricsRegistry registry;
        Gateway gateway(settings, *log, registry, plugins);
        add_collectors(registry, gateway);

        Poco::Net::ServerSocket socket;
        try {
            // reusePort = false: a second gateway on the same port must fail, not share it.
            socket.bind(Poco::Net::SocketAddress(settings.listen_host, settings.listen_port), true,
                        false);
            socket.listen(settings.max_queued);
        } catch (const Poco::Exception& e) {
            throw StartupError("cannot listen on " + settings.listen_host + ":" +
                               std::to_string(settings.listen_port) + ": " + e.displayText());
        }
        plugins.start(gateway.jobs);

        Router router = make_routes(gateway);
        Poco::ThreadPool pool(2, settings.threads, 60, 256 * 1024);
        Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
        params->setMaxThreads(settings.threads);
        params->setMaxQueued(settings.max_queued);
        params->setKeepAlive(settings.keep_alive_seconds > 0);
        params->setKeepAliveTimeout(Poco::Timespan(settings.keep_alive_seconds, 0));
        params->setTimeout(Poco::Timespan(settings.read_timeout_seconds, 0));
        params->setMaxKeepAliveRequests(10000);
        ConnectionGuard guard(std::chrono::seconds(settings.header_timeout_seconds));
        Poco::Net::TCPServer server(
            guard.connection_factory(params, new GatewayRequestHandlerFactory(gateway, router)),
            pool, socket, params);
        server.start();
        gateway.janitor.start(std::chrono::seconds(settings.janitor_interval_seconds),
                              [&gateway](const std::string& error) {
                                  gateway.log.write(sdk::LogLevel::warning, "janitor pass failed",
                                                    {{"error", error}});
                              });
        log->write(
            sdk::LogLevel::info, "listening",
            {{"address", settings.listen_host + ":" + std::to_string(socket.address().port())},
             {"threads", settings.threads},
             {"plugin_dir", settings.plugin_dir}});

        waitForTerminationRequest();

        log->write(sdk::LogLevel::info, "shutting down: no new connections, finishing requests",
                   {{"grace_seconds", settings.shutdown_grace_seconds}});
        gateway.stopping = true;
        server.stop();
        auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::seconds(settings.shutdown_grace_seconds);
        while (guard.open_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        std::size_t unfinished = guard.open_connections();
        guard.abort_all();
        pool.joinAll();
        gateway.janitor.stop();
        plugins.stop();
        log->write(sdk::LogLevel::info, "stopped", {{"aborted_connections", unfinished}});
        return EXIT_OK;
    } catch (const std::exception& e) {
        std::cerr << "visiongw: " << e.what() << "\n";
        return EXIT_CONFIG;
    }
}

}  // namespace visiongw::core
