#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/build_info.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace daulat::cli {

void AddVersionCommand(CLI::App& app, int* exit_code) {
  auto as_json = std::make_shared<bool>(false);
  auto* cmd =
      app.add_subcommand("version", "Print the daulat version and the llama.cpp it was built with");
  cmd->add_flag("--json", *as_json, "Print JSON");
  cmd->callback([exit_code, as_json] {
    const std::string llama = std::string(kLlamaCommit).substr(0, 12);
    if (*as_json) {
      const nlohmann::json j = {{"version", kVersion},
                                {"commit", kGitCommit},
                                {"llama_cpp_commit", kLlamaCommit},
                                {"build_type", kBuildType}};
      std::puts(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
      std::printf("daulat %s (commit %s, %s build)\nllama.cpp %s\n", kVersion, kGitCommit,
                  kBuildType, llama.c_str());
    }
    *exit_code = kExitOk;
  });
}

}  // namespace daulat::cli
