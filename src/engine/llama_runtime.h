#pragma once

namespace daulat::engine {

// Initialises libllama's backends once per process and routes its log output
// through our logger (errors kept, warnings and chatter at debug level). Safe to
// call from many threads; later calls are no-ops.
void EnsureLlamaRuntime();

}  // namespace daulat::engine
