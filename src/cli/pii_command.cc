#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "governance/pii_guard.h"

namespace daulat::cli {
namespace {

struct PiiFlags {
  std::string file;
  bool json = false;
  bool mask = false;
  double min_score = 0.5;
};

constexpr size_t kMaxInput = 64u << 20;

int Scan(const PiiFlags& flags) {
  std::string text;
  if (flags.file.empty() || flags.file == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(flags.file, std::ios::binary);
    if (!in) return ReportError(NotFound("cannot open " + flags.file));
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (text.size() > kMaxInput) return ReportError(InvalidArgument("input is larger than 64 MiB"));
  const governance::PiiGuard guard(flags.min_score);
  if (flags.mask) {
    const auto masked = guard.Mask(text);
    std::fwrite(masked.text.data(), 1, masked.text.size(), stdout);
    return kExitOk;
  }
  const auto findings = guard.Scan(text);
  if (flags.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& f : findings) {
      out.push_back({{"type", std::string(governance::PiiTypeName(f.type))},
                     {"start", f.start},
                     {"end", f.end},
                     {"score", f.score},
                     {"explanation", f.explanation}});
    }
    std::puts(nlohmann::json{{"findings", out}}
                  .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                  .c_str());
    return kExitOk;
  }
  for (const auto& f : findings) {
    std::printf("%-13s %6zu-%-6zu %.2f  %s\n", std::string(governance::PiiTypeName(f.type)).c_str(),
                f.start, f.end, f.score, f.explanation.c_str());
  }
  if (findings.empty()) std::fputs("no personal data found\n", stderr);
  return kExitOk;
}

}  // namespace

void AddPiiCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<PiiFlags>();
  auto* pii =
      app.add_subcommand("pii", "Find personal data (MyKad, phones, emails, cards, ...) in text");
  pii->require_subcommand(1);
  auto* scan = pii->add_subcommand(
      "scan", "Scan text from stdin or --file; offsets are Unicode code points");
  scan->add_option("--file", flags->file, "Read this file instead of stdin");
  scan->add_flag("--json", flags->json, "Print the findings as JSON");
  scan->add_flag("--mask", flags->mask,
                 "Print the text with typed placeholders (<MYKAD_1>) instead");
  scan->add_option("--min-score", flags->min_score, "Lowest score reported")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  scan->callback([exit_code, flags] { *exit_code = Scan(*flags); });
}

}  // namespace daulat::cli
