#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "common/log.h"
#include "store/database.h"

int main(int argc, char** argv) {
  using namespace daulat::cli;
  // Everything daulat writes (the database, blobs, vector indexes, keys,
  // exports) is for its own user only: folders 0700, files 0600.
  ::umask(077);
  CLI::App app{
      "daulat: sovereign AI on your own machines.\n"
      "Local models, no data leaves this computer."};
  app.name("daulat");
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");

  GlobalOptions global;
  app.add_option("--data-dir", global.data_dir, "Data folder (default: ~/.local/share/daulat)")
      ->envname("DAULAT_DATA_DIR");
  app.add_option("--models-dir", global.models_dir, "Models folder (default: <data-dir>/models)")
      ->envname("DAULAT_MODELS_DIR");
  app.add_option("--database-url", global.database_url,
                 "PostgreSQL database shared by many nodes, as postgresql://user@host:port/db "
                 "(default: SQLite in the data folder)")
      ->envname("DAULAT_DATABASE_URL")
      ->check(
          [](const std::string& url) {
            return url.empty() || daulat::store::IsPostgresUrl(url)
                       ? std::string()
                       : std::string("must start with postgresql:// or postgres://");
          },
          "URL");
  app.add_flag("-v,--verbose", global.verbose, "Log details to stderr, including llama.cpp's");
  app.add_option("--log-level", global.log_level,
                 "Least severe log lines shown on stderr: debug, info, warn (default), error")
      ->envname("DAULAT_LOG_LEVEL")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));

  int exit_code = kExitInternal;
  AddModelsCommand(app, global, &exit_code);
  AddRunCommand(app, global, &exit_code);
  AddChatCommand(app, global, &exit_code);
  AddServeCommand(app, global, &exit_code);
  AddPiiCommand(app, &exit_code);
  AddAuditCommand(app, global, &exit_code);
  AddAdminCommands(app, global, &exit_code);
  AddGovernanceCommands(app, global, &exit_code);
  AddKnowledgeCommands(app, global, &exit_code);
  AddAssistantCommands(app, global, &exit_code);
  AddAssessCommand(app, global, &exit_code);
  AddBackupCommands(app, global, &exit_code);
  AddDoctorCommand(app, global, &exit_code);
  AddVersionCommand(app, &exit_code);
  app.parse_complete_callback(
      [&global] { daulat::InitLogging(global.verbose ? "debug" : global.log_level); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  std::fflush(stdout);
  return exit_code;
}
