#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace daulat::testing {

// A real Valkey/Redis server (Debian's redis-server) of one test's own, on
// loopback, with nothing saved to disk; stopped (SIGKILL) when this goes
// away, and with the test process if that dies first. Stop() and Start()
// again on the same port stand for a restart or an outage.
class ValkeyTestServer {
 public:
  // Picks a free port below the ephemeral range and starts the server;
  // aborts the test program when no server can start (the test would prove
  // nothing without it).
  ValkeyTestServer();
  ~ValkeyTestServer();
  ValkeyTestServer(const ValkeyTestServer&) = delete;
  ValkeyTestServer& operator=(const ValkeyTestServer&) = delete;

  // redis://127.0.0.1:<port>, with `password` when the server was given one.
  std::string url() const;
  int port() const { return port_; }
  void Stop();
  // Starts again on the same port; false when it could not.
  bool Start();
  // Starts with a password required (AUTH) instead.
  bool StartWithPassword(const std::string& password);

 private:
  bool Launch(int port, const std::string& password);
  int port_ = 0;
  pid_t pid_ = -1;
  std::string password_;
  std::filesystem::path dir_;
};

}  // namespace daulat::testing
