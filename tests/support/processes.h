// Running other programs from a test, side by side with other test processes: shell commands,
// spawned programs and their logs, free ports and names no other test uses.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace visiongw::testing {

// Runs a shell command; returns its exit status (-1 when it did not exit normally).
int run_command(const std::string& command);
// What a shell command printed on stdout, and its exit status (-1 when it did not exit).
struct CommandRun {
    int status = -1;
    std::string output;
};
CommandRun run_capturing(const std::string& command);
// Runs a shell command and returns what it printed on stdout, whatever its exit status.
std::string command_output(const std::string& command);
// `text` as one single-quoted shell word.
std::string shell_quote(const std::string& text);

// Starts `arguments` (the program's path first) with `environment` (NAME=value entries), its
// stdout and stderr appended to `log_path`; returns its pid. Throws std::runtime_error.
pid_t spawn_logged(std::vector<std::string> arguments, std::vector<std::string> environment,
                   const std::string& log_path);
// The lines of `log` that hold every one of `fragments`.
std::size_t count_lines(const std::string& log, std::initializer_list<std::string_view> fragments);

// A loopback TCP port that was free a moment ago.
int free_port();
// Ten random letters and digits, for names of files, queues and keys no other test uses.
std::string unique_suffix();

}  // namespace visiongw::testing
