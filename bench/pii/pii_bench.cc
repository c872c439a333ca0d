// pii_bench: precision and recall of the PII guard per type on the labelled
// examples (bench/pii/pii_examples.tsv); recall again on every example
// disguised the ways text copied from Word or a PDF, or typed to evade a
// guard, looks (Unicode dashes and spaces, full-width and other-script
// digits, invisible characters, spaced digits, dotted and bracketed phones,
// other separators and groupings, accents and keycaps on digits, O for 0, a
// label glued on, a number run into it),
// with precision on the disguised near misses; and scan speed on a 1 KB prompt.
//   build/bench/pii/pii_bench [--examples FILE]
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include "governance/pii_guard.h"

using daulat::governance::PiiGuard;
using daulat::governance::PiiTypeName;

namespace {

struct Example {
  std::set<std::string> expected;  // "TYPE:value"
  std::string text;
};

std::string Utf8(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
  return out;
}

bool Digit(char c) {
  return c >= '0' && c <= '9';
}

std::string Replace(const std::string& s, char from, const std::string& to) {
  std::string out;
  for (char c : s) out += c == from ? to : std::string(1, c);
  return out;
}

std::string Digits(const std::string& s, char32_t zero) {
  std::string out;
  for (char c : s) {
    out += Digit(c) ? Utf8(zero + static_cast<char32_t>(c - '0')) : std::string(1, c);
  }
  return out;
}

// `mark` between every two adjacent digits.
std::string BetweenDigits(const std::string& s, const std::string& mark) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    out += s[i];
    if (Digit(s[i]) && i + 1 < s.size() && Digit(s[i + 1])) out += mark;
  }
  return out;
}

// '-' and ' ' between digits become `sep` (a phone written with dots).
std::string Separators(const std::string& s, char sep) {
  std::string out = s;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if ((s[i] == '-' || s[i] == ' ') && Digit(s[i - 1]) && Digit(s[i + 1])) out[i] = sep;
  }
  return out;
}

// Only the '-' between digit groups becomes `sep` ("900101/14/5678").
std::string Dashes(const std::string& s, char sep) {
  std::string out = s;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '-' && Digit(s[i - 1]) && Digit(s[i + 1])) out[i] = sep;
  }
  return out;
}

// "03-2161 2345" -> "(03) 2161 2345"; "+60 12-345 6789" -> "+60 (12) 345 6789".
std::string Bracketed(const std::string& s) {
  const size_t start = s.rfind("+60 ", 0) == 0 ? 4 : 0;
  const size_t sep = s.find_first_of("- ", start);
  if (sep == std::string::npos || sep == start || s.find('(') != std::string::npos) return s;
  return s.substr(0, start) + "(" + s.substr(start, sep - start) + ") " + s.substr(sep + 1);
}

// The 12 digits of a MyKad regrouped in fours: "9001 0114 5678".
std::string Regrouped(const std::string& s) {
  std::string digits;
  for (char c : s) {
    if (Digit(c)) {
      digits += c;
    } else if (c != '-' && c != ' ') {
      return s;  // a sentence (a near miss), not a value
    }
  }
  if (digits.size() != 12) return s;
  return digits.substr(0, 4) + " " + digits.substr(4, 4) + " " + digits.substr(8);
}

struct Disguise {
  std::string name;
  std::function<std::string(const std::string&)> apply;
  std::set<std::string> types;  // the identifiers it is applied to
  size_t added = 0;             // bytes put before the value that are not part of it
};

std::vector<Disguise> Disguises() {
  const std::set<std::string> numbers = {"MYKAD", "PHONE", "PAYMENT_CARD"};
  const std::set<std::string> all = {"MYKAD", "PHONE", "PAYMENT_CARD", "EMAIL"};
  const auto replace = [](char from, char32_t to) {
    return [from, to](const std::string& s) { return Replace(s, from, Utf8(to)); };
  };
  const auto between = [](char32_t mark) {
    return [mark](const std::string& s) { return BetweenDigits(s, Utf8(mark)); };
  };
  const auto digits = [](char32_t zero) {
    return [zero](const std::string& s) { return Digits(s, zero); };
  };
  return {
      {"non-breaking hyphen", replace('-', 0x2011), numbers},
      {"en dash", replace('-', 0x2013), numbers},
      {"minus sign", replace('-', 0x2212), numbers},
      {"full-width hyphen", replace('-', 0xFF0D), numbers},
      {"no-break space", replace(' ', 0x00A0), numbers},
      {"narrow no-break space", replace(' ', 0x202F), numbers},
      {"ideographic space", replace(' ', 0x3000), numbers},
      {"full-width digits",
       [](const std::string& s) {
         return Replace(Replace(Digits(s, 0xFF10), '@', Utf8(0xFF20)), '-', Utf8(0xFF0D));
       },
       all},
      {"Arabic-Indic digits", digits(0x0660), numbers},
      {"mathematical digits", digits(0x1D7CE), numbers},
      {"zero-width spaces", between(0x200B), numbers},
      {"soft hyphens", between(0x00AD), numbers},
      {"word joiners", between(0x2060), numbers},
      {"spaced digits", between(' '), numbers},
      {"dotted", [](const std::string& s) { return Separators(s, '.'); }, {"PHONE"}},
      {"bracketed area code", Bracketed, {"PHONE"}},
      {"full-width @ and dots",
       [](const std::string& s) {
         return Replace(Replace(s, '@', Utf8(0xFF20)), '.', Utf8(0xFF0E));
       },
       {"EMAIL"}},
      {"zero-width in e-mail",
       [](const std::string& s) { return Replace(s, '@', Utf8(0x200B) + "@"); },
       {"EMAIL"}},
      {"dotted MyKad", [](const std::string& s) { return Dashes(s, '.'); }, {"MYKAD"}},
      {"slashes", [](const std::string& s) { return Dashes(s, '/'); }, {"MYKAD"}},
      {"underscores", [](const std::string& s) { return Dashes(s, '_'); }, {"MYKAD"}},
      {"a line per group", [](const std::string& s) { return Dashes(s, '\n'); }, {"MYKAD"}},
      {"regrouped in fours", Regrouped, {"MYKAD"}},
      {"combining accents", between(0x0301), numbers},
      {"keycaps",
       [](const std::string& s) { return BetweenDigits(s, Utf8(0xFE0F) + Utf8(0x20E3)); }, numbers},
      {"letter O for zero",
       [](const std::string& s) { return Replace(s, '0', "O"); },
       {"MYKAD", "PHONE"}},
      {"label glued on", [](const std::string& s) { return "KP" + s; }, {"MYKAD"}, 2},
      {"a number before it", [](const std::string& s) { return "7 " + s; }, {"MYKAD", "PHONE"}, 2},
  };
}

struct Tally {
  std::map<std::string, int> tp, fp, fn;
};

void Score(const PiiGuard& guard, const Example& e, Tally& t, bool verbose) {
  std::set<std::string> found;
  for (const auto& f : guard.Scan(e.text))
    found.insert(std::string(PiiTypeName(f.type)) + ":" + f.text);
  for (const auto& x : e.expected) {
    const bool hit = found.count(x) > 0;
    (hit ? t.tp : t.fn)[x.substr(0, x.find(':'))]++;
    if (!hit && verbose) std::fprintf(stderr, "missed %s in: %s\n", x.c_str(), e.text.c_str());
  }
  for (const auto& f : found) {
    if (e.expected.count(f)) continue;
    t.fp[f.substr(0, f.find(':'))]++;
    if (verbose) std::fprintf(stderr, "unexpected %s in: %s\n", f.c_str(), e.text.c_str());
  }
}

// The example with each identifier of the disguise's types disguised in
// place; near misses ('-') are disguised whole and must stay clean.
std::optional<Example> Disguised(const Example& e, const Disguise& d) {
  Example out{{}, e.text};
  if (e.expected.empty()) {
    out.text = d.apply(e.text);
    if (out.text == e.text) return std::nullopt;
    return out;
  }
  bool changed = false;
  for (const auto& x : e.expected) {
    const std::string type = x.substr(0, x.find(':'));
    const std::string value = x.substr(x.find(':') + 1);
    const std::string now = d.types.count(type) ? d.apply(value) : value;
    if (now != value) {
      const size_t at = out.text.find(value);
      if (at == std::string::npos) return std::nullopt;
      out.text.replace(at, value.size(), now);
      changed = true;
    }
    out.expected.insert(type + ":" + (now == value ? now : now.substr(d.added)));
  }
  if (!changed) return std::nullopt;
  return out;
}

double Ratio(int a, int b) {
  return b == 0 ? 1.0 : 1.0 * a / b;
}

int Sum(const std::map<std::string, int>& m) {
  int n = 0;
  for (const auto& [k, v] : m) n += v;
  return n;
}

std::vector<Example> ReadExamples(std::ifstream& in) {
  std::vector<Example> examples;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    Example e{{}, line.substr(tab + 1)};
    if (line.substr(0, tab) != "-") {
      std::stringstream items(line.substr(0, tab));
      for (std::string item; std::getline(items, item, '|');) e.expected.insert(item);
    }
    examples.push_back(std::move(e));
  }
  return examples;
}

void PrintTypes(const Tally& t, const std::string& title) {
  std::set<std::string> types;
  for (const auto* m : {&t.tp, &t.fp, &t.fn}) {
    for (const auto& [k, v] : *m) types.insert(k);
  }
  std::printf("%-14s %5s %5s %5s %10s %8s   %s\n", "type", "tp", "fp", "fn", "precision", "recall",
              title.c_str());
  const auto get = [](const std::map<std::string, int>& m, const std::string& k) {
    const auto it = m.find(k);
    return it == m.end() ? 0 : it->second;
  };
  for (const auto& k : types) {
    const int a = get(t.tp, k), b = get(t.fp, k), c = get(t.fn, k);
    std::printf("%-14s %5d %5d %5d %10.3f %8.3f\n", k.c_str(), a, b, c, Ratio(a, a + b),
                Ratio(a, a + c));
  }
  const int a = Sum(t.tp), b = Sum(t.fp), c = Sum(t.fn);
  std::printf("%-14s %5d %5d %5d %10.3f %8.3f\n\n", "all", a, b, c, Ratio(a, a + b),
              Ratio(a, a + c));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"PII guard precision/recall per type, plain and disguised"};
  std::string path = std::string(DAULAT_SOURCE_DIR) + "/bench/pii/pii_examples.tsv";
  app.add_option("--examples", path, "Labelled examples (expected<TAB>text)");
  CLI11_PARSE(app, argc, argv);
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "pii_bench: cannot read %s\n", path.c_str());
    return 1;
  }
  const std::vector<Example> examples = ReadExamples(in);
  const PiiGuard guard;
  Tally plain;
  for (const auto& e : examples) Score(guard, e, plain, true);
  PrintTypes(plain, "(" + std::to_string(examples.size()) + " examples as written)");

  std::printf("%-24s %8s %5s %5s %5s %8s\n", "disguise", "examples", "tp", "fp", "fn", "recall");
  Tally disguised;
  int disguised_examples = 0;
  for (const auto& d : Disguises()) {
    Tally t;
    int n = 0;
    for (const auto& e : examples) {
      const auto v = Disguised(e, d);
      if (!v) continue;
      ++n;
      Score(guard, *v, t, true);
      Score(guard, *v, disguised, false);
    }
    disguised_examples += n;
    const int a = Sum(t.tp), b = Sum(t.fp), c = Sum(t.fn);
    std::printf("%-24s %8d %5d %5d %5d %8.3f\n", d.name.c_str(), n, a, b, c, Ratio(a, a + c));
  }
  std::printf("\n");
  PrintTypes(disguised, "(" + std::to_string(disguised_examples) + " disguised examples)");
  int hit = 0, missed = 0;
  for (const std::string t : {"MYKAD", "PHONE", "PAYMENT_CARD"}) {
    for (const Tally* tally : {&plain, &disguised}) {
      hit += tally->tp.count(t) ? tally->tp.at(t) : 0;
      missed += tally->fn.count(t) ? tally->fn.at(t) : 0;
    }
  }
  std::printf("MyKad, phone and card recall, as written and disguised: %.3f (target >= 0.99)\n\n",
              Ratio(hit, hit + missed));

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
