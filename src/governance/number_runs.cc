#include "governance/number_runs.h"

namespace daulat::governance::internal {
namespace {

// The separator starting at `pos` between two digit groups, or 0 bytes when
// none: a space, '-', '.', " - ", or a bracket around an area code.
size_t Separator(std::string_view text, size_t pos, bool& open) {
  for (std::string_view sep : {" - ", ") ", ")-", " (", "-", " ", ".", ")", "("}) {
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

}  // namespace

std::vector<Candidate> NumberRuns(std::string_view text) {
  std::vector<Candidate> out;
  size_t i = 0;
  while (i < text.size()) {
    if (!IsDigit(text[i]) || (i > 0 && (IsAlnum(text[i - 1]) || text[i - 1] == '.'))) {
      ++i;
      continue;
    }
    Candidate c{i, i, "", {}};
    c.plus = i > 0 && text[i - 1] == '+';
    const size_t lead = c.plus ? i - 1 : i;
    bool open = lead > 0 && text[lead - 1] == '(';  // "(03) ..." or "(+60) ..."
    const bool opened_first = open;
    size_t j = i;
    size_t last_group = 0;
    while (j < text.size()) {
      const size_t group_start = j;
      while (j < text.size() && IsDigit(text[j])) c.digits.push_back(text[j++]);
      c.groups.push_back(j - group_start);
      last_group = j;
      if (c.digits.size() >= 19) break;
      const size_t sep = Separator(text, j, open);
      if (sep == 0) break;
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
    c.end = last_group;
    if (c.groups.size() == 1) c.only_dashes = false;
    if (!(c.end < text.size() && IsAlpha(text[c.end]))) out.push_back(c);
    i = std::max(j, i + 1);
  }
  return out;
}

}  // namespace daulat::governance::internal
