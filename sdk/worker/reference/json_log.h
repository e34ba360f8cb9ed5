// The reference worker's log: one JSON object per line on stdout.
#pragma once

#include <ostream>

#include "visiongw/worker/worker.h"

namespace visiongw::worker::reference {

// Writes {"time","level","message","job_id","request_id"} as one line (job fields null when
// not about a job). Thread-safe: lines never interleave.
void write_json_line(std::ostream& out, const LogRecord& record);

// write_json_line to std::cout; a WorkerOptions::log.
void log_to_stdout(const LogRecord& record);

}  // namespace visiongw::worker::reference
