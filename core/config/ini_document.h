// The ini file as sections of raw text values, with the environment overrides applied.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

namespace visiongw::core {

// Keys and section names are lower case (the ini is case-insensitive). Immutable after load.
class IniDocument {
public:
    using Section = std::map<std::string, std::string>;
    using Environment = std::map<std::string, std::string>;

    // Reads `path`; throws StartupError naming the file when it cannot be read or parsed.
    static IniDocument load(const std::string& path);
    // Builds a document from ini text; `path` only names it in messages.
    static IniDocument parse(const std::string& text, const std::string& path);

    // Applies the environment variables of the API contract (RABBITMQ_URL, REDIS_URL, ...)
    // over the file's values; a variable that is set wins.
    void apply_environment(const Environment& environment);
    // The process environment, restricted to the variables apply_environment knows.
    static Environment process_environment();

    const std::string& path() const { return path_; }
    // Sections written in the file (not those only an override touched).
    const std::set<std::string>& file_sections() const { return file_sections_; }
    const Section& section(const std::string& name) const;
    std::optional<std::string> value(const std::string& section, const std::string& key) const;

private:
    std::string path_;
    std::set<std::string> file_sections_;
    std::map<std::string, Section> sections_;
};

}  // namespace visiongw::core
