#include "governance/number_runs.h"

#include "common/text_list.h"

namespace daulat::governance::internal {
namespace {

constexpr size_t kLongestNumber = 19;  // digits: the longest card number
constexpr size_t kMostGroups = 32;     // a run read at once (a table's column, say)

// The separator starting at `pos` between two digit groups, or 0 bytes when
// none: up to three spaces or tabs, a line break, '-', '.', '/', '_', " - ",
// or a bracket around an area code.
size_t Separator(std::string_view text, size_t pos, bool& open) {
  size_t blanks = 0;
  while (pos + blanks < text.size() && blanks < 3 &&
         (text[pos + blanks] == ' ' || text[pos + blanks] == '\t'))
    ++blanks;
  if (blanks > 0 && pos + blanks < text.size() && IsDigit(text[pos + blanks])) return blanks;
  for (std::string_view sep :
       {" - ", ") ", ")-", " (", "\r\n", "-", " ", "\n", ".", "/", "_", ")", "("}) {
    if (text.substr(pos, sep.size()) != sep || pos + sep.size() >= text.size() ||
        !IsDigit(text[pos + sep.size()]))
      continue;
    const bool opens = sep.find('(') != std::string_view::npos;
    const bool closes = sep.find(')') != std::string_view::npos;
    if ((opens && open) || (closes && !open)) continue;
    open = (open || opens) && !closes;
    return sep.size();
  }
  return 0;
}

// Where a run may be cut: between numbers set apart by spaces, a line, a
// slash or an underscore ("Umur 34\n900101-14-5678", "03-2161 2345/012-..."),
// not inside one written number ('-', '.').
bool SetsApart(std::string_view sep) {
  return sep == " (" || sep == "/" || sep == "_" || std::all_of(sep.begin(), sep.end(), [](char c) {
           return c == ' ' || c == '\t' || c == '\n' || c == '\r';
         });
}

// A cut no number of ours is written across (a phone's groups are set
// apart by spaces, never by a line or a slash).
bool Divides(std::string_view sep) {
  return sep == "/" || sep == "_" || sep.find('\n') != std::string_view::npos;
}

// A run as read: its groups' byte spans and the separators between them.
struct Run {
  Candidate whole;
  std::vector<std::pair<size_t, size_t>> spans;
  std::vector<std::string_view> seps;
};

// The letters right before `pos` (skipping one '.' as in "No."), lower-cased.
std::string LabelBefore(std::string_view text, size_t pos) {
  if (pos > 0 && text[pos - 1] == '.') --pos;
  size_t b = pos;
  while (b > 0 && pos - b < 8 && IsAlpha(text[b - 1])) --b;
  return AsciiLower(text.substr(b, pos - b));
}

Run ReadRun(std::string_view text, size_t i) {
  Run run;
  Candidate& c = run.whole;
  c.begin = c.end = i;
  c.plus = i > 0 && text[i - 1] == '+';
  const size_t lead = c.plus ? i - 1 : i;
  if (!c.plus && i > 0 && (IsAlpha(text[i - 1]) || text[i - 1] == '.')) {
    c.glued_before = true;
    c.label = LabelBefore(text, i);
  }
  bool open = lead > 0 && text[lead - 1] == '(';  // "(03) ..." or "(+60) ..."
  const bool opened_first = open;
  size_t j = i;
  while (j < text.size()) {
    const size_t group_start = j;
    while (j < text.size() && IsDigit(text[j])) c.digits.push_back(text[j++]);
    c.groups.push_back(j - group_start);
    run.spans.emplace_back(group_start, j);
    if (c.groups.size() >= kMostGroups) break;
    const size_t sep = Separator(text, j, open);
    if (sep == 0) break;
    run.seps.push_back(text.substr(j, sep));
    c.divided = c.divided || Divides(run.seps.back());
    c.dots = c.dots || text[j] == '.';
    c.brackets = c.brackets || text.substr(j, sep).find_first_of("()") != std::string::npos;
    c.only_dashes = c.only_dashes && sep == 1 && text[j] == '-';
    j += sep;
  }
  // "(900101-14-5678)": a bracket that never closes is the sentence's.
  c.begin = lead;
  if (opened_first && !open) {
    c.begin = lead - 1;
    c.brackets = true;
  }
  c.end = run.spans.back().second;
  c.glued_after = c.end < text.size() && IsAlpha(text[c.end]);
  if (c.groups.size() == 1) c.only_dashes = false;
  return run;
}

// Groups [from, to) of `run` as a candidate of their own.
Candidate Part(std::string_view text, const Run& run, size_t from, size_t to) {
  Candidate c;
  c.begin = run.spans[from].first;
  c.end = run.spans[to - 1].second;
  c.partial = true;
  c.plus = from == 0 && run.whole.plus;
  c.glued_before = from == 0 && run.whole.glued_before;
  c.label = from == 0 ? run.whole.label : "";
  c.glued_after = to == run.spans.size() && run.whole.glued_after;
  if (from == 0) c.begin = run.whole.begin;
  if (from > 0 && run.seps[from - 1].back() == '(') {  // "Tingkat 12 (03) 2161 2345"
    --c.begin;
    c.brackets = true;
  }
  for (size_t g = 0; g < run.spans.size(); ++g) {
    if (g < from || g >= to) c.dropped = std::max(c.dropped, run.whole.groups[g]);
  }
  for (size_t g = from; g < to; ++g) {
    const auto [b, e] = run.spans[g];
    c.groups.push_back(e - b);
    c.digits.append(text.substr(b, e - b));
    if (g + 1 < to) {
      const std::string_view sep = run.seps[g];
      c.dots = c.dots || sep == ".";
      c.brackets = c.brackets || sep.find_first_of("()") != std::string_view::npos;
      c.only_dashes = c.only_dashes && sep == "-";
      c.divided = c.divided || Divides(sep);
    }
  }
  if (c.groups.size() == 1) c.only_dashes = false;
  return c;
}

// Every window of `run` between cut points (SetsApart), across no line,
// slash or underscore, short enough to be one number: an identifier with
// other numbers around it ("Bilik 7 ...", a table row, two phones joined by
// '/'). Digits typed one by one are not cut into one-digit numbers.
void AddParts(std::string_view text, const Run& run, std::vector<Candidate>& out) {
  const size_t n = run.spans.size();
  const size_t shortest = run.whole.Spaced() ? 2 : 1;
  const auto starts = [&](size_t g) {
    return g == 0 || (SetsApart(run.seps[g - 1]) && run.whole.groups[g - 1] >= shortest);
  };
  const auto ends = [&](size_t g) {  // the window ends before group g
    return g == n || (SetsApart(run.seps[g - 1]) && run.whole.groups[g] >= shortest);
  };
  // A MyKad's own grouping anywhere in the run ("900101-14-5678-0").
  for (size_t from = 0; from + 3 <= n; ++from) {
    const auto& g = run.whole.groups;
    if (g[from] == 6 && g[from + 1] == 2 && g[from + 2] == 4 && !(from == 0 && n == 3) &&
        !(starts(from) && ends(from + 3)))
      out.push_back(Part(text, run, from, from + 3));
  }
  for (size_t from = 0; from < n; ++from) {
    if (!starts(from)) continue;
    size_t digits = 0;
    for (size_t to = from + 1; to <= n; ++to) {
      digits += run.whole.groups[to - 1];
      if (digits > kLongestNumber) break;
      // Across a line, '/' or '_' only where every join is that one
      // ("900101/14/5678"), never mixed ("08/1234 (1985").
      if (to - 1 > from && run.seps[to - 2] != run.seps[from] &&
          (Divides(run.seps[to - 2]) || Divides(run.seps[from])))
        break;
      if ((from == 0 && to == n) || !ends(to)) continue;
      out.push_back(Part(text, run, from, to));
    }
  }
}

}  // namespace

std::vector<Candidate> NumberRuns(std::string_view text) {
  std::vector<Candidate> out;
  size_t i = 0;
  while (i < text.size()) {
    const bool decimal = i > 1 && text[i - 1] == '.' && IsDigit(text[i - 2]);
    if (!IsDigit(text[i]) || (i > 0 && IsDigit(text[i - 1])) || decimal) {
      ++i;
      continue;
    }
    Run run = ReadRun(text, i);
    out.push_back(run.whole);
    AddParts(text, run, out);
    i = std::max(run.whole.end, i + 1);
  }
  return out;
}

}  // namespace daulat::governance::internal
