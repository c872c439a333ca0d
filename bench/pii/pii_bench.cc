// pii_bench: precision and recall of the PII guard per type on the labelled
// examples (bench/pii/pii_examples.tsv), plus scan speed on a 1 KB prompt.
//   build/bench/pii/pii_bench [--examples FILE]
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "governance/pii_guard.h"

using daulat::governance::PiiGuard;
using daulat::governance::PiiTypeName;

int main(int argc, char** argv) {
  CLI::App app{"PII guard precision/recall per type"};
  std::string path = std::string(DAULAT_SOURCE_DIR) + "/bench/pii/pii_examples.tsv";
  app.add_option("--examples", path, "Labelled examples (expected<TAB>text)");
  CLI11_PARSE(app, argc, argv);
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "pii_bench: cannot read %s\n", path.c_str());
    return 1;
  }
  const PiiGuard guard;
  std::map<std::string, int> tp, fp, fn;
  std::string line;
  int examples = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    ++examples;
    std::set<std::string> expected;
    if (line.substr(0, tab) != "-") {
      std::stringstream items(line.substr(0, tab));
      for (std::string item; std::getline(items, item, '|');) expected.insert(item);
    }
    std::set<std::string> found;
    for (const auto& f : guard.Scan(line.substr(tab + 1)))
      found.insert(std::string(PiiTypeName(f.type)) + ":" + f.text);
    for (const auto& e : expected) (found.count(e) ? tp : fn)[e.substr(0, e.find(':'))]++;
    for (const auto& f : found) {
      if (!expected.count(f)) {
        fp[f.substr(0, f.find(':'))]++;
        std::fprintf(stderr, "unexpected %s in: %s\n", f.c_str(), line.substr(tab + 1).c_str());
      }
    }
  }
  std::set<std::string> types;
  for (const auto* m : {&tp, &fp, &fn}) {
    for (const auto& [k, v] : *m) types.insert(k);
  }
  std::printf("%-14s %5s %5s %5s %10s %8s\n", "type", "tp", "fp", "fn", "precision", "recall");
  int all_tp = 0, all_fp = 0, all_fn = 0;
  for (const auto& t : types) {
    const int a = tp[t], b = fp[t], c = fn[t];
    all_tp += a;
    all_fp += b;
    all_fn += c;
    std::printf("%-14s %5d %5d %5d %10.3f %8.3f\n", t.c_str(), a, b, c,
                a + b ? 1.0 * a / (a + b) : 1.0, a + c ? 1.0 * a / (a + c) : 1.0);
  }
  std::printf("%-14s %5d %5d %5d %10.3f %8.3f   (%d examples)\n", "all", all_tp, all_fp, all_fn,
              all_tp + all_fp ? 1.0 * all_tp / (all_tp + all_fp) : 1.0,
              all_tp + all_fn ? 1.0 * all_tp / (all_tp + all_fn) : 1.0, examples);

  // Speed: a 1 KB prompt with a few identifiers, as the request pipeline sees it.
  std::string prompt;
  while (prompt.size() < 1000) {
    prompt +=
        "Pemohon 900101-14-5678 (ali@contoh.com.my) memohon semakan status permohonan lesen "
        "perniagaan. ";
  }
  prompt.resize(1024);
  const int reps = 2000;
  const auto t0 = std::chrono::steady_clock::now();
  size_t n = 0;
  for (int i = 0; i < reps; ++i) n += guard.Scan(prompt).size();
  const double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() /
      reps;
  std::printf("scan of a 1 KB prompt: %.1f us (%zu findings per scan)\n", us, n / reps);
  std::printf("reproduce: build/bench/pii/pii_bench\n");
  return 0;
}
