#include "cli/assess_prompt.h"

#include <nlohmann/json.hpp>

namespace daulat::cli {
namespace {

using nlohmann::json;

enum class Reply { kValue, kSkip, kStop };

// One line from `in`, trimmed; kStop on "q" or end of input.
Reply ReadLine(std::istream& in, std::string& line) {
  if (!std::getline(in, line)) return Reply::kStop;
  const auto b = line.find_first_not_of(" \t\r");
  const auto e = line.find_last_not_of(" \t\r");
  line = b == std::string::npos ? "" : line.substr(b, e - b + 1);
  if (line == "q" || line == "quit") return Reply::kStop;
  return line.empty() ? Reply::kSkip : Reply::kValue;
}

struct Session {
  const assessment::Framework& f;
  const std::string& lang;
  std::istream& in;
  std::ostream& out;
  assessment::Answers& answers;

  const char* Say(const char* en, const char* ms) const { return lang == "ms" ? ms : en; }

  // false when the questionnaire should stop.
  bool Question(const assessment::Question& q) {
    const auto it = answers.questions.find(q.id);
    const assessment::Answer now =
        it == answers.questions.end() ? assessment::Answer{} : it->second;
    out << "\n" << q.id << "  " << q.text.In(lang) << "\n";
    for (size_t i = 0; i < 5; ++i) out << "  " << i + 1 << ". " << q.levels[i].In(lang) << "\n";
    if (now.evidence_level > 0)
      out << "  " << Say("platform evidence", "bukti platform") << ": " << now.signal << " = "
          << now.observed.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << " -> "
          << now.evidence_level << "\n";
    for (;;) {
      out << Say("Level 1-5", "Tahap 1-5");
      if (now.level > 0) out << " [" << now.level << "]";
      out << Say(" (Enter: keep/skip, q: stop): ", " (Enter: kekal/langkau, q: berhenti): ")
          << std::flush;
      std::string line;
      const Reply r = ReadLine(in, line);
      if (r != Reply::kValue) return r == Reply::kSkip;
      if (line.size() != 1 || line[0] < '1' || line[0] > '5') {
        out << Say("Type a number from 1 to 5.\n", "Masukkan nombor 1 hingga 5.\n");
        continue;
      }
      const int level = line[0] - '0';
      json patch = {{"answers", {{q.id, level}}}};
      if (now.evidence_level > 0 && level != now.evidence_level) {
        out << Say("Why override the platform's evidence: ", "Sebab mengatasi bukti platform: ")
            << std::flush;
        std::string reason;
        if (ReadLine(in, reason) != Reply::kValue) continue;
        patch["answers"][q.id] = {{"level", level}, {"reason", reason}};
      }
      const Status st = assessment::MergeAnswers(f, patch, answers);
      if (st.ok()) return true;
      out << st.message() << "\n";
    }
  }

  bool Fact(const assessment::Fact& fact) {
    for (;;) {
      out << "\n"
          << fact.text.In(lang) << (fact.type == "boolean" ? Say(" (y/n", " (y/t") : " (")
          << (fact.type == "boolean" ? "" : Say("a number", "nombor"));
      if (const auto it = answers.facts.find(fact.id); it != answers.facts.end())
        out << " [" << it->second.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
            << "]";
      out << Say(", Enter: keep/skip): ", ", Enter: kekal/langkau): ") << std::flush;
      std::string line;
      const Reply r = ReadLine(in, line);
      if (r != Reply::kValue) return r == Reply::kSkip;
      json value;
      if (fact.type == "boolean") {
        if (line == "y" || line == "yes" || line == "ya")
          value = true;
        else if (line == "n" || line == "no" || line == "t" || line == "tidak")
          value = false;
      } else {
        char* end = nullptr;
        const double d = std::strtod(line.c_str(), &end);
        if (end != nullptr && *end == '\0' && end != line.c_str())
          value = fact.type == "integer" && d == static_cast<double>(static_cast<int64_t>(d))
                      ? json(static_cast<int64_t>(d))
                      : json(d);
      }
      const Status st = value.is_null()
                            ? InvalidArgument(Say("not an answer to this question",
                                                  "bukan jawapan kepada soalan ini"))
                            : assessment::MergeAnswers(f, {{"facts", {{fact.id, value}}}}, answers);
      if (st.ok()) return true;
      out << st.message() << "\n";
    }
  }
};

}  // namespace

void AskQuestions(const assessment::Framework& f, const std::string& language, std::istream& in,
                  std::ostream& out, assessment::Answers& answers) {
  Session s{f, language, in, out, answers};
  out << f.title.In(language) << " (" << f.Name() << ")\n";
  for (const auto& p : f.pillars) {
    out << "\n== " << p.title.In(language) << " ==\n";
    for (const auto& q : f.questions) {
      if (q.pillar == p.id && !s.Question(q)) return;
    }
  }
  if (!f.facts.empty())
    out << "\n== " << s.Say("Facts for the obligations (gates)", "Fakta untuk kewajipan (get)")
        << " ==\n";
  for (const auto& fact : f.facts) {
    if (!s.Fact(fact)) return;
  }
}

}  // namespace daulat::cli
