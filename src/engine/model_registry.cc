#include "engine/model_registry.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "common/log.h"

namespace daulat::engine {
namespace {

constexpr const char* kManifestFile = "manifest.json";
constexpr const char* kStampFile = ".verified";
constexpr size_t kMaxManifestBytes = 1 << 20;

// Same text as `stat -c %s:%.9Y:%.9Z:%i`, so scripts/bootstrap can write stamps
// too. Nanosecond times: a rewrite within the same second must not look unchanged.
std::string FileIdentity(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  char buf[128];
  std::snprintf(buf, sizeof buf, "%lld:%lld.%09ld:%lld.%09ld:%llu",
                static_cast<long long>(st.st_size), static_cast<long long>(st.st_mtim.tv_sec),
                st.st_mtim.tv_nsec, static_cast<long long>(st.st_ctim.tv_sec), st.st_ctim.tv_nsec,
                static_cast<unsigned long long>(st.st_ino));
  return buf;
}

}  // namespace

Result<InstalledModel> ReadInstalledModel(const std::filesystem::path& dir) {
  const auto path = dir / kManifestFile;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return NotFound("no " + std::string(kManifestFile) + " in " + dir.string());
  if (size > kMaxManifestBytes) return InvalidArgument(path.string() + " is larger than 1 MiB");
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto manifest = ParseManifest(text);
  if (!manifest.ok()) return InvalidArgument(path.string() + ": " + manifest.status().message());
  return InstalledModel{std::move(manifest).value(), dir};
}

Result<std::string> InstalledModel::ReadChatTemplate() const {
  if (manifest.chat_template_file.empty()) return std::string();
  const auto path = dir / manifest.chat_template_file;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec)
    return NotFound("model '" + manifest.name + "': chat template " + path.string() +
                    " is missing");
  if (size > kMaxManifestBytes) return InvalidArgument(path.string() + " is larger than 1 MiB");
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

ModelRegistry::Listing ModelRegistry::List() const {
  Listing out;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir_, ec)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    if (!entry.is_directory()) continue;
    auto model = ReadInstalledModel(entry.path());
    if (model.ok()) {
      out.models.push_back(std::move(model).value());
    } else {
      out.problems.emplace_back(entry.path().filename().string(), model.status());
    }
  }
  std::sort(out.models.begin(), out.models.end(),
            [](const auto& a, const auto& b) { return a.manifest.name < b.manifest.name; });
  return out;
}

Result<InstalledModel> ModelRegistry::Find(const std::string& name) const {
  auto listing = List();
  std::string names;
  for (auto& m : listing.models) {
    if (m.manifest.name == name) return std::move(m);
    names += (names.empty() ? "" : ", ") + m.manifest.name;
  }
  if (names.empty()) {
    return NotFound("model '" + name + "' is not installed: no models in " + dir_.string() +
                    " (run scripts/bootstrap to install the demo model)");
  }
  return NotFound("model '" + name + "' is not installed; installed: " + names);
}

Status ModelRegistry::Verify(const InstalledModel& model, const HashProgress& progress) const {
  const auto path = model.gguf_path();
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec)
    return NotFound("model '" + model.manifest.name + "': file " + path.string() + " is missing");
  if (model.manifest.size_bytes != 0 && size != model.manifest.size_bytes) {
    return DataLoss("model '" + model.manifest.name + "': " + path.string() + " has " +
                    std::to_string(size) + " bytes, manifest says " +
                    std::to_string(model.manifest.size_bytes) + " (truncated or replaced?)");
  }
  const auto identity = FileIdentity(path);
  auto hash = Sha256File(path, progress);
  if (!hash.ok()) return hash.status();
  if (*hash != model.manifest.sha256) {
    std::filesystem::remove(model.dir / kStampFile, ec);
    return DataLoss("model '" + model.manifest.name + "': checksum mismatch: " + path.string() +
                    " hashes to " + *hash + ", manifest says " + model.manifest.sha256 +
                    " (corrupt or tampered file; reinstall it)");
  }
  // A stamp is an optimisation: a read-only models folder simply re-hashes next time.
  std::ofstream(model.dir / kStampFile) << *hash << ' ' << identity << '\n';
  return Status::Ok();
}

Status ModelRegistry::EnsureVerified(const InstalledModel& model,
                                     const HashProgress& progress) const {
  std::ifstream in(model.dir / kStampFile);
  std::string hash, identity;
  if (in >> hash >> identity && hash == model.manifest.sha256 &&
      identity == FileIdentity(model.gguf_path())) {
    spdlog::debug("model '{}': verification stamp matches, not re-hashing", model.manifest.name);
    return Status::Ok();
  }
  return Verify(model, progress);
}

}  // namespace daulat::engine
