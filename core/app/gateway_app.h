// The visiongw process: its command line, dispatched to a CLI command or to serving until
// SIGTERM.
#pragma once

#include <Poco/Util/ServerApplication.h>

#include <string>

namespace visiongw::core {

class GatewayApp : public Poco::Util::ServerApplication {
protected:
    void defineOptions(Poco::Util::OptionSet& options) override;
    void handleOption(const std::string& name, const std::string& value) override;
    int main(const std::vector<std::string>& args) override;

private:
    enum class Command {
        serve,
        help,
        version,
        check_config,
        list_plugins,
        describe_plugin,
        config_reference,
        hash_key
    };
    Command command_ = Command::serve;
    std::string config_path_ = "etc/visiongw.ini";
    std::string plugin_name_;  // or the key of --hash-key
};

}  // namespace visiongw::core
