#include "config/ini_document.h"

#include <Poco/Util/IniFileConfiguration.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config/startup_error.h"

namespace visiongw::core {
namespace {

struct EnvironmentOverride {
    const char* variable;
    const char* section;
    const char* key;
};

// The variables of the original design, and where each lands in the ini.
constexpr std::array kOverrides{
    EnvironmentOverride{"VISIONGW_LISTEN", "gateway", "listen"},
    EnvironmentOverride{"FILE_STORAGE_MAX_FILE_SIZE", "upload", "max_file_size"},
    EnvironmentOverride{"FILE_STORAGE_TEMP_DIR", "local", "root"},
    EnvironmentOverride{"FILE_STORAGE_FILE_TTL", "local", "file_ttl_seconds"},
    EnvironmentOverride{"REDIS_URL", "redis", "url"},
    EnvironmentOverride{"RABBITMQ_URL", "rabbitmq", "url"},
    EnvironmentOverride{"RABBITMQ_QUEUE_NAME", "rabbitmq", "queue"},
    EnvironmentOverride{"RABBITMQ_EXCHANGE_NAME", "rabbitmq", "exchange"},
    EnvironmentOverride{"RABBITMQ_ROUTING_KEY", "rabbitmq", "routing_key"},
    EnvironmentOverride{"VISION_SERVICE_URL", "health", "vision_service_url"},
    EnvironmentOverride{"VISION_SERVICE_URL", "worker", "vision_service_url"},
    EnvironmentOverride{"LLM_SERVICE_URL", "worker", "llm_service_url"},
};

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

}  // namespace

IniDocument IniDocument::load(const std::string& path) {
    std::ifstream file(path);
    if (!file)
        throw StartupError(path + ": cannot read the configuration file");
    std::stringstream text;
    text << file.rdbuf();
    return parse(text.str(), path);
}

IniDocument IniDocument::parse(const std::string& text, const std::string& path) {
    IniDocument document;
    document.path_ = path;
    Poco::AutoPtr<Poco::Util::IniFileConfiguration> ini;
    try {
        std::istringstream stream(text);
        ini = new Poco::Util::IniFileConfiguration(stream);
    } catch (const Poco::Exception& e) {
        throw StartupError(path + ": " + e.displayText());
    }
    // A '.' in a section or key name nests it in Poco's key tree, where the walk below finds a
    // branch instead of a value.
    try {
        Poco::Util::AbstractConfiguration::Keys sections;
        ini->keys(sections);
        for (const auto& section_name : sections) {
            Poco::Util::AbstractConfiguration::Keys keys;
            ini->keys(section_name, keys);
            std::string section = lower(section_name);
            document.file_sections_.insert(section);
            Section& values = document.sections_[section];
            for (const auto& key : keys) {
                values[lower(key)] = ini->getRawString(section_name + "." + key);
            }
            if (keys.empty() && ini->hasProperty(section_name)) {
                throw StartupError(path + ": '" + section_name +
                                   "' is a key outside any [section]; put it under one");
            }
        }
    } catch (const Poco::Exception& e) {
        throw StartupError(path + ": " + e.displayText() +
                           " (a section or key name with a '.' in it?)");
    }
    return document;
}

void IniDocument::apply_environment(const Environment& environment) {
    for (const auto& override : kOverrides) {
        auto it = environment.find(override.variable);
        if (it != environment.end())
            sections_[override.section][override.key] = it->second;
    }
}

IniDocument::Environment IniDocument::process_environment() {
    Environment environment;
    for (const auto& override : kOverrides) {
        if (const char* value = std::getenv(override.variable)) {
            environment[override.variable] = value;
        }
    }
    return environment;
}

const IniDocument::Section& IniDocument::section(const std::string& name) const {
    static const Section kEmpty;
    auto it = sections_.find(name);
    return it == sections_.end() ? kEmpty : it->second;
}

std::optional<std::string> IniDocument::value(const std::string& section,
                                              const std::string& key) const {
    const Section& values = this->section(section);
    auto it = values.find(key);
    if (it == values.end())
        return std::nullopt;
    return it->second;
}

}  // namespace visiongw::core
