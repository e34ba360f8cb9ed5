// The reference worker's log: one JSON object per line on stdout.
#pragma once

#include <functional>
#include <ostream>

#include "visiongw/worker/worker.h"

namespace visiongw::worker::reference {

// Writes {"time","level","message","job_id","request_id","trace_id","span_id"} as one line (job
// fields null when not about a job). Thread-safe: lines never interleave.
void write_json_line(std::ostream& out, const LogRecord& record);

// A WorkerOptions::log: write_json_line to `out` for each record at `lowest` or above.
std::function<void(const LogRecord&)> json_line_log(std::ostream& out, LogLevel lowest);

}  // namespace visiongw::worker::reference
