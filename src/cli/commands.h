#pragma once

#include <CLI/CLI.hpp>

#include "cli/global_options.h"

namespace daulat::cli {

// Each Add*Command registers a subcommand on `app`. The command's callback
// stores its exit code in `*exit_code`; options are owned by the command and
// live as long as `app`.
void AddModelsCommand(CLI::App& app, const GlobalOptions& global, int* exit_code);
void AddRunCommand(CLI::App& app, const GlobalOptions& global, int* exit_code);
void AddChatCommand(CLI::App& app, const GlobalOptions& global, int* exit_code);
void AddServeCommand(CLI::App& app, const GlobalOptions& global, int* exit_code);
void AddAuditCommand(CLI::App& app, const GlobalOptions& global, int* exit_code);
void AddPiiCommand(CLI::App& app, int* exit_code);
// tenants, users, keys
void AddAdminCommands(CLI::App& app, const GlobalOptions& global, int* exit_code);
// policy, usage
void AddGovernanceCommands(CLI::App& app, const GlobalOptions& global, int* exit_code);
// collections, ingest, documents, search (Lumin)
void AddKnowledgeCommands(CLI::App& app, const GlobalOptions& global, int* exit_code);
// ask, summarize (Lumin's model-backed answers)
void AddAssistantCommands(CLI::App& app, const GlobalOptions& global, int* exit_code);
// assess (the STAR readiness assessment)
void AddAssessCommand(CLI::App& app, const GlobalOptions& global, int* exit_code);
// backup, restore
void AddBackupCommands(CLI::App& app, const GlobalOptions& global, int* exit_code);
// doctor (consistency check and repair of the data folder)
void AddDoctorCommand(CLI::App& app, const GlobalOptions& global, int* exit_code);
void AddVersionCommand(CLI::App& app, int* exit_code);

}  // namespace daulat::cli
