#pragma once

#include <map>
#include <string>
#include <vector>

namespace daulat::testing {

struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

// Runs the daulat binary with `args`, extra environment variables and the
// given stdin; waits for it with a timeout (seconds) after which it is killed.
// With interrupt_after_ms > 0, sends SIGINT (as Ctrl-C would) once that long
// has passed after the first byte appeared on stdout.
ProcessResult RunDaulat(const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env = {},
                        const std::string& stdin_text = "", int timeout_s = 120,
                        int interrupt_after_ms = 0);

}  // namespace daulat::testing
