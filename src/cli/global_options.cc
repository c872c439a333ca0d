#include "cli/global_options.h"

#include <cstdio>
#include <cstdlib>

#include "cli/exit_codes.h"

namespace daulat::cli {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kInvalidArgument: return kExitBadInput;
    case StatusCode::kUnauthenticated: return kExitUsage;
    case StatusCode::kPermissionDenied: return kExitRefused;
    case StatusCode::kNotFound: return kExitNotFound;
    case StatusCode::kDataLoss: return kExitIntegrity;
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAlreadyExists:
    case StatusCode::kUnavailable:
    case StatusCode::kStorageFull:
    case StatusCode::kResourceExhausted: return kExitUnavailable;
    case StatusCode::kCancelled: return kExitInterrupted;
    case StatusCode::kInternal: return kExitInternal;
  }
  return kExitInternal;
}

std::filesystem::path DefaultDataDir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::filesystem::path(xdg) / "daulat";
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr ? home : ".") / ".local" / "share" / "daulat";
}

std::string GlobalOptions::DatabaseLocation() const {
  return database_url.empty() ? (DataDir() / "daulat.db").string() : database_url;
}

std::filesystem::path GlobalOptions::DataDir() const {
  return data_dir.empty() ? DefaultDataDir() : std::filesystem::path(data_dir);
}

std::filesystem::path GlobalOptions::ModelsDir() const {
  return models_dir.empty() ? DataDir() / "models" : std::filesystem::path(models_dir);
}

int ReportError(const Status& status) {
  std::fprintf(stderr, "daulat: %s\n", status.message().c_str());
  return ExitCodeFor(status);
}

}  // namespace daulat::cli
