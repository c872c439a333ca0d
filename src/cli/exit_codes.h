#pragma once

#include "common/status.h"

namespace daulat::cli {

// Exit codes scripts can rely on (documented in docs/cli.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,      // a bug or an unexpected library failure
  kExitUsage = 2,         // unknown flag, missing or malformed argument
  kExitNotFound = 3,      // the named model (or file) does not exist
  kExitIntegrity = 4,     // checksum mismatch, corrupt or truncated model
  kExitBadInput = 5,      // empty prompt, prompt longer than the context, bad parameter value
  kExitUnavailable = 6,   // not set up (e.g. no models installed), or a resource is exhausted
  kExitRefused = 7,       // the tenant's policy, a clearance or the personal-data rule refused it
  kExitInterrupted = 130  // stopped by Ctrl-C / SIGINT
};

int ExitCodeFor(const Status& status);

}  // namespace daulat::cli
