#pragma once

#include <filesystem>
#include <string>

#include "common/status.h"
#include "engine/model_registry.h"

namespace daulat::cli {

// Options every subcommand shares; filled by CLI11 from flags and DAULAT_* variables.
struct GlobalOptions {
  std::string data_dir;            // --data-dir / DAULAT_DATA_DIR
  std::string models_dir;          // --models-dir / DAULAT_MODELS_DIR; default <data_dir>/models
  bool verbose = false;            // -v: libllama's own log lines and debug logs on stderr
  std::string log_level = "warn";  // --log-level / DAULAT_LOG_LEVEL
  // --database-url / DAULAT_DATABASE_URL: a PostgreSQL database shared by
  // many nodes; empty: SQLite in the data folder.
  std::string database_url;

  std::filesystem::path DataDir() const;
  std::filesystem::path ModelsDir() const;
  // The URL, else <data_dir>/daulat.db: what store::OpenDatabase takes.
  std::string DatabaseLocation() const;
  bool SharedDatabase() const { return !database_url.empty(); }
  engine::ModelRegistry Registry() const { return engine::ModelRegistry(ModelsDir()); }
};

// ${XDG_DATA_HOME:-~/.local/share}/daulat
std::filesystem::path DefaultDataDir();

// Prints "daulat: <message>" to stderr and returns the matching exit code.
int ReportError(const Status& status);

}  // namespace daulat::cli
