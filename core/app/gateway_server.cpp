#include "app/gateway_server.h"

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>
#include <Poco/Util/Application.h>

#include <iostream>
#include <memory>
#include <thread>

#include "app/gateway.h"
#include "app/loaded_config.h"
#include "app/metrics_collectors.h"
#include "app/request_handler.h"
#include "app/routes.h"
#include "config/startup_error.h"
#include "http/connection_guard.h"
#include "plugin_host/plugin_host.h"

namespace visiongw::core {

int serve_gateway(const std::string& config_path,
                  const std::function<void()>& wait_for_termination) {
    std::unique_ptr<LoadedConfig> config;
    std::unique_ptr<JsonLog> log;
    try {
        config = std::make_unique<LoadedConfig>(load_config(config_path));
        log = std::make_unique<JsonLog>(std::cout, parse_log_level(config->settings.log_level));
    } catch (const std::exception& e) {
        std::cerr << "visiongw: " << e.what() << "\n";
        return Poco::Util::Application::EXIT_CONFIG;
    }
    const GatewaySettings& settings = config->settings;
    try {
        PluginHost host = PluginHost::open(settings.plugin_dir, configured_plugins(settings));
        PluginSet plugins(host, config->document, settings, *log);
        MetricsRegistry registry;
        Gateway gateway(settings, *log, registry, plugins);
        add_metrics_collectors(registry, gateway);

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
        plugins.start(gateway.job_service);

        Router router = make_routes(gateway);
        Poco::ThreadPool pool(2, settings.threads, 60, 256 * 1024);
        Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
        params->setMaxThreads(settings.threads);
        params->setMaxQueued(settings.max_queued);
        params->setKeepAlive(settings.keep_alive_seconds > 0);
        params->setKeepAliveTimeout(Poco::Timespan(settings.keep_alive_seconds, 0));
        params->setTimeout(Poco::Timespan(settings.read_timeout_seconds, 0));
        params->setMaxKeepAliveRequests(10000);
        ConnectionGuard guard(
            ConnectionLimits{
                .header_timeout = std::chrono::seconds(settings.header_timeout_seconds),
                .body_grace = std::chrono::seconds(settings.body_grace_seconds),
                .body_rate_window = std::chrono::seconds(settings.body_rate_window_seconds),
                .min_body_rate = settings.min_body_rate,
                .max_per_client = static_cast<std::size_t>(settings.max_connections_per_client)},
            *log);
        Poco::Net::TCPServer server(
            guard.connection_factory(params, new GatewayRequestHandlerFactory(gateway, router)),
            pool, socket, params);
        guard.attach(server);
        server.start();
        gateway.janitor.start(std::chrono::seconds(settings.janitor_interval_seconds),
                              [&gateway](const std::string& error) {
                                  gateway.log.write(sdk::LogLevel::warning, "janitor pass failed",
                                                    {{"error", error}});
                              });
        if (gateway.webhooks)
            gateway.webhooks->start();
        log->write(
            sdk::LogLevel::info, "listening",
            {{"address", settings.listen_host + ":" + std::to_string(socket.address().port())},
             {"threads", settings.threads},
             {"plugin_dir", settings.plugin_dir}});

        wait_for_termination();

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
        if (gateway.webhooks)
            gateway.webhooks->stop();
        plugins.stop();
        log->write(sdk::LogLevel::info, "stopped", {{"aborted_connections", unfinished}});
        return Poco::Util::Application::EXIT_OK;
    } catch (const std::exception& e) {
        std::cerr << "visiongw: " << e.what() << "\n";
        return Poco::Util::Application::EXIT_CONFIG;
    }
}

}  // namespace visiongw::core
