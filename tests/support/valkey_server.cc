#include "valkey_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>
#include <vector>

#include "tiny_model.h"

namespace daulat::testing {
namespace {

// Whether a PING on 127.0.0.1:port gets its PONG.
bool Pongs(int port, const std::string& password) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string ping = password.empty() ? "PING\r\n" : "AUTH " + password + "\r\nPING\r\n";
    if (::write(fd, ping.data(), ping.size()) == static_cast<ssize_t>(ping.size())) {
      std::string got;
      char buf[256];
      for (int i = 0; i < 50 && got.find("PONG") == std::string::npos; ++i) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        got.append(buf, static_cast<size_t>(n));
      }
      ok = got.find("PONG") != std::string::npos;
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace

ValkeyTestServer::ValkeyTestServer() : dir_(MakeTempDir("valkey")) {
  std::mt19937 pick(std::random_device{}());
  // Below Linux's ephemeral ports (32768-60999): a client cannot end up
  // connected to itself there while the server is down.
  std::uniform_int_distribution<int> ports(20000, 25000);  // the cluster test uses 25600-25613
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (Launch(ports(pick), "")) return;
  }
  std::fprintf(stderr, "cannot start redis-server for the test (run scripts/bootstrap)\n");
  std::abort();
}

ValkeyTestServer::~ValkeyTestServer() {
  Stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string ValkeyTestServer::url() const {
  return "redis://" + (password_.empty() ? "" : ":" + password_ + "@") +
         "127.0.0.1:" + std::to_string(port_);
}

void ValkeyTestServer::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

bool ValkeyTestServer::Start() {
  return Launch(port_, "");
}

bool ValkeyTestServer::StartWithPassword(const std::string& password) {
  return Launch(port_, password);
}

bool ValkeyTestServer::Launch(int port, const std::string& password) {
  Stop();
  std::vector<std::string> args = {"redis-server",
                                   "--port",
                                   std::to_string(port),
                                   "--bind",
                                   "127.0.0.1",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--dir",
                                   dir_.string(),
                                   "--loglevel",
                                   "warning"};
  if (!password.empty()) {
    args.emplace_back("--requirepass");
    args.push_back(password);
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) {
      ::dup2(null, 1);
      ::dup2(null, 2);
    }
    ::execvp("redis-server", argv.data());
    ::_exit(127);
  }
  if (pid < 0) return false;
  pid_ = pid;
  port_ = port;
  password_ = password;
  for (int i = 0; i < 250; ++i) {
    if (Pongs(port, password)) return true;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {  // exited: the port was taken
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Stop();
  return false;
}

}  // namespace daulat::testing
