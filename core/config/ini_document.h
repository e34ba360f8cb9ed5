// The ini file as sections of raw text values, and the environment whose variables option
// tables may declare as overrides (visiongw_option.env).
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
    static IniDocument load(const std::string& path, Environment environment);
    // Builds a document from ini text; `path` only names it in messages.
    static IniDocument parse(const std::string& text, const std::string& path,
                             Environment environment = {});

    // Every variable of this process's environment.
    static Environment process_environment();

    const std::string& path() const { return path_; }
    // Sections written in the file.
    const std::set<std::string>& file_sections() const { return file_sections_; }
    // The keys written in the file's section `name` (environment variables add none).
    const Section& section(const std::string& name) const;
    // What `key` of `section` reads: the variable `env` names when it is set (even to an empty
    // value), else the file's value, else nothing.
    std::optional<std::string> value(const std::string& section, const std::string& key,
                                     const char* env = nullptr) const;

private:
    std::string path_;
    std::set<std::string> file_sections_;
    std::map<std::string, Section> sections_;
    Environment environment_;
};

}  // namespace visiongw::core
