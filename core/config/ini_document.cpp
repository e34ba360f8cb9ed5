#include "config/ini_document.h"

#include <Poco/Util/IniFileConfiguration.h>

#include <unistd.h>
#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <string_view>

#include "config/startup_error.h"

namespace visiongw::core {
namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

}  // namespace

IniDocument IniDocument::load(const std::string& path, Environment environment) {
    std::ifstream file(path);
    if (!file)
        throw StartupError(path + ": cannot read the configuration file");
    std::stringstream text;
    text << file.rdbuf();
    return parse(text.str(), path, std::move(environment));
}

IniDocument IniDocument::parse(const std::string& text, const std::string& path,
                               Environment environment) {
    IniDocument document;
    document.path_ = path;
    document.environment_ = std::move(environment);
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

IniDocument::Environment IniDocument::process_environment() {
    Environment environment;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        std::string_view variable(*entry);
        auto equals = variable.find('=');
        if (equals != std::string_view::npos) {
            environment.emplace(variable.substr(0, equals), variable.substr(equals + 1));
        }
    }
    return environment;
}

const IniDocument::Section& IniDocument::section(const std::string& name) const {
    static const Section kEmpty;
    auto it = sections_.find(name);
    return it == sections_.end() ? kEmpty : it->second;
}

std::optional<std::string> IniDocument::value(const std::string& section, const std::string& key,
                                              const char* env) const {
    if (env != nullptr) {
        if (auto it = environment_.find(env); it != environment_.end())
            return it->second;
    }
    const Section& values = this->section(section);
    auto it = values.find(key);
    if (it == values.end())
        return std::nullopt;
    return it->second;
}

}  // namespace visiongw::core
