#include "store/backup_manifest.h"

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>

#include "common/json_depth.h"

namespace daulat::store::internal {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
constexpr const char* kFormat = "daulat-backup-1";
constexpr const char* kManifest = "manifest.json";
constexpr size_t kMaxManifestBytes = size_t{64} << 20;

// Typed reads of an untrusted object: nullopt when absent or of another type.
std::optional<std::string> Text(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return std::nullopt;
  return j[key].get<std::string>();
}
std::optional<uint64_t> Count(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number_unsigned()) return std::nullopt;
  return j[key].get<uint64_t>();
}

// What the sealed manifest is bound to: its header, so neither the id nor
// the key derivation can be changed without the seal failing.
std::string HeaderLabel(const std::string& id) {
  return std::string(kFormat) + "\n" + id;
}

json ContentsJson(const BackupManifest& m) {
  json files = json::array();
  for (const auto& f : m.files)
    files.push_back(
        {{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}, {"stored", f.stored}});
  return {{"id", m.id},
          {"created_at", m.created_at},
          {"producer", m.producer},
          {"database", m.database},
          {"schema", m.schema},
          {"files", files}};
}

Result<BackupManifest> ManifestFromContents(const json& c, BackupManifest m) {
  const auto database = Text(c, "database");
  if (!c.is_object() || !database || !c.contains("files") || !c["files"].is_array())
    return InvalidArgument("the backup's manifest is not one daulat wrote");
  m.database = *database;
  m.producer = Text(c, "producer").value_or("");
  if (const auto id = Text(c, "id")) m.id = *id;
  if (const auto at = Text(c, "created_at")) m.created_at = *at;
  if (c.contains("schema") && c["schema"].is_object()) {
    for (const auto& [k, v] : c["schema"].items())
      if (v.is_number_integer()) m.schema[k] = v.get<int64_t>();
  }
  std::set<std::string> seen, stored;
  for (const auto& f : c["files"]) {
    const auto path = Text(f, "path");
    const auto where = Text(f, "stored");
    const auto sha = Text(f, "sha256");
    const auto size = Count(f, "size");
    if (!path || !where || !sha || !size)
      return InvalidArgument("the backup's manifest lists a file without path, size or sha256");
    if (!SafeRelativePath(*path) || !SafeRelativePath(*where) || !seen.insert(*path).second ||
        !stored.insert(*where).second)
      return InvalidArgument("the backup's manifest names an unsafe or repeated path: " +
                             path->substr(0, 200));
    m.files.push_back({*path, *size, *sha, *where});
  }
  if (seen.count(m.database) == 0)
    return InvalidArgument("the backup's manifest does not list its database");
  return m;
}

Result<json> ReadManifestJson(const fs::path& src) {
  std::error_code ec;
  const auto status = fs::symlink_status(src / kManifest, ec);
  if (ec || !fs::exists(status))
    return NotFound("no backup at " + src.string() + " (no manifest.json)");
  if (!fs::is_regular_file(status))
    return DataLoss("the backup's manifest.json is not a regular file");
  if (fs::file_size(src / kManifest, ec) > kMaxManifestBytes)
    return InvalidArgument("the backup's manifest.json is larger than any daulat writes");
  std::ifstream in(src / kManifest);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (JsonNestedDeeperThan(text))
    return InvalidArgument("the backup's manifest is nested too deep");
  json doc = json::parse(text, nullptr, false);
  if (!doc.is_object() || Text(doc, "format") != std::optional<std::string>(kFormat))
    return InvalidArgument(src.string() + " is not a backup this version of daulat reads");
  return doc;
}

}  // namespace

bool SafeRelativePath(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.size() > 4096 ||
      path.find('\0') != std::string::npos)
    return false;
  const std::string top = path.substr(0, path.find('/'));
  if (top.rfind(".restoring", 0) == 0 || top.rfind(".backup-snapshot", 0) == 0) return false;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    const std::string part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

Status WriteManifest(const fs::path& dest, const BackupManifest& m, const SealingKey* key) {
  json doc = {
      {"format", kFormat}, {"id", m.id}, {"created_at", m.created_at}, {"sealed", m.sealed}};
  const json contents = ContentsJson(m);
  if (key != nullptr) {
    doc["kdf"] = key->kdf;
    doc["key_check"] = KeyCheck(key->bytes, m.id);
    doc["contents_sealed"] = SealText(key->bytes, contents.dump(), HeaderLabel(m.id));
  } else {
    doc["contents"] = contents;
  }
  const fs::path tmp = dest / (std::string(kManifest) + ".tmp");
  const std::string text = doc.dump(2) + "\n";
  DAULAT_RETURN_IF_ERROR(WriteSmallFile(tmp, text));
  std::error_code ec;
  fs::rename(tmp, dest / kManifest, ec);
  if (ec) return Internal("cannot write the manifest: " + ec.message());
  SyncFolder(dest);
  return Status::Ok();
}

Result<OpenedBackup> OpenManifest(const fs::path& src, const BackupSecret& secret) {
  auto doc = ReadManifestJson(src);
  if (!doc.ok()) return doc.status();
  OpenedBackup out;
  out.manifest.id = Text(*doc, "id").value_or("");
  out.manifest.created_at = Text(*doc, "created_at").value_or("");
  if (!doc->contains("sealed") || !(*doc)["sealed"].is_boolean())
    return InvalidArgument("the backup's manifest does not say whether it is sealed");
  out.manifest.sealed = (*doc)["sealed"].get<bool>();
  if (!out.manifest.sealed) {
    if (secret.sealed())
      return PermissionDenied(
          "this backup is not sealed, but a passphrase or key was given: it may have been "
          "put in place of a sealed one; refusing");
    auto m =
        ManifestFromContents(doc->contains("contents") ? (*doc)["contents"] : json(), out.manifest);
    if (!m.ok()) return m.status();
    out.manifest = std::move(m).value();
    return out;
  }
  if (!secret.sealed())
    return PermissionDenied("this backup is sealed: give --passphrase-file or --key-file");
  auto key = SealingKeyFor(doc->contains("kdf") ? (*doc)["kdf"] : json(), secret);
  if (!key.ok()) return key.status();
  if (Text(*doc, "key_check") != std::optional<std::string>(KeyCheck(key->bytes, out.manifest.id)))
    return PermissionDenied(
        "wrong passphrase or key file for this backup (or its header was altered)");
  auto text = OpenText(key->bytes, Text(*doc, "contents_sealed").value_or(""),
                       HeaderLabel(out.manifest.id));
  if (!text.ok()) return text.status();
  if (JsonNestedDeeperThan(*text)) return DataLoss("the backup's sealed manifest is damaged");
  const json contents = json::parse(*text, nullptr, false);
  // The sealed id and time are the ones to trust; the header's only name them.
  if (Text(contents, "id") != std::optional<std::string>(out.manifest.id))
    return DataLoss("the backup's sealed manifest belongs to another backup");
  auto m = ManifestFromContents(contents, out.manifest);
  if (!m.ok()) return m.status();
  out.manifest = std::move(m).value();
  out.key = std::move(key->bytes);
  return out;
}

}  // namespace daulat::store::internal
