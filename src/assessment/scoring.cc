#include "assessment/scoring.h"

#include <algorithm>
#include <cmath>

namespace daulat::assessment {
namespace {

using nlohmann::json;

Status CheckFact(const Fact& fact, const json& v) {
  if (v.is_null()) return Status::Ok();
  const bool ok = fact.type == "boolean"   ? v.is_boolean()
                  : fact.type == "integer" ? v.is_number_integer()
                                           : v.is_number();
  if (!ok)
    return InvalidArgument("facts." + fact.id + " must be " +
                           (fact.type == "boolean" ? "true or false" : "a " + fact.type));
  if (v.is_number() && v.get<double>() < 0)
    return InvalidArgument("facts." + fact.id + " must not be negative");
  return Status::Ok();
}

Status MergeQuestion(const Question& q, const json& v, Answer& a) {
  const std::string name = "answers." + q.id;
  if (v.is_null()) {
    a = Answer{};
    return Status::Ok();
  }
  int level = 0;
  std::string reason;
  if (v.is_number_integer()) {
    level = v.get<int>();
  } else if (v.is_object()) {
    for (const auto& [k, _] : v.items()) {
      if (k != "level" && k != "reason")
        return InvalidArgument(name + ": unknown field '" + k + "'");
    }
    if (!v.contains("level") || !v["level"].is_number_integer())
      return InvalidArgument(name + ".level must be a whole number from 1 to 5");
    level = v["level"].get<int>();
    if (v.contains("reason")) {
      if (!v["reason"].is_string() || v["reason"].get<std::string>().size() > 2000)
        return InvalidArgument(name + ".reason must be text (at most 2000 characters)");
      reason = v["reason"].get<std::string>();
    }
  } else {
    return InvalidArgument(name + " must be a level (1 to 5) or {level, reason}");
  }
  if (level < 1 || level > 5)
    return InvalidArgument(name + " must be from 1 to 5, got " + std::to_string(level));
  const bool overrides = a.source == "evidence" || a.evidence_level > 0;
  if (overrides && level != a.evidence_level && reason.empty())
    return InvalidArgument(name + ": the platform's evidence says level " +
                           std::to_string(a.evidence_level) + "; overriding it needs a reason");
  a.level = level;
  a.source = "user";
  a.reason = level == a.evidence_level ? std::string() : reason;
  return Status::Ok();
}

}  // namespace

Status MergeAnswers(const Framework& f, const json& patch, Answers& answers) {
  if (!patch.is_object()) return InvalidArgument("the answers must be an object {answers, facts}");
  for (const auto& [k, _] : patch.items()) {
    if (k != "answers" && k != "facts") return InvalidArgument("unknown field '" + k + "'");
  }
  Answers next = answers;
  if (patch.contains("answers")) {
    if (!patch["answers"].is_object())
      return InvalidArgument("answers must map question ids to levels");
    for (const auto& [id, v] : patch["answers"].items()) {
      const Question* q = f.FindQuestion(id);
      if (q == nullptr)
        return InvalidArgument("answers: '" + id.substr(0, 80) + "' is not a question of " +
                               f.Name());
      DAULAT_RETURN_IF_ERROR(MergeQuestion(*q, v, next.questions[id]));
      if (next.questions[id].level == 0 && next.questions[id].evidence_level == 0)
        next.questions.erase(id);
    }
  }
  if (patch.contains("facts")) {
    if (!patch["facts"].is_object()) return InvalidArgument("facts must map fact ids to values");
    for (const auto& [id, v] : patch["facts"].items()) {
      const Fact* fact = f.FindFact(id);
      if (fact == nullptr)
        return InvalidArgument("facts: '" + id.substr(0, 80) + "' is not a fact of " + f.Name());
      DAULAT_RETURN_IF_ERROR(CheckFact(*fact, v));
      if (v.is_null())
        next.facts.erase(id);
      else
        next.facts[id] = v;
    }
  }
  answers = std::move(next);
  return Status::Ok();
}

Result<AnswersFile> ParseAnswersFile(const Framework& f, const std::string& text, Answers start) {
  auto doc = ParseYaml(text);
  if (!doc.ok()) return doc.status();
  if (!doc->is_object())
    return InvalidArgument("the answers file must be a mapping {answers, facts}");
  AnswersFile out;
  out.answers = std::move(start);
  json patch = json::object();
  for (const auto& [k, v] : doc->items()) {
    if (k == "answers" || k == "facts") {
      patch[k] = v.is_null() ? json::object() : v;
    } else if (k == "framework" || k == "organisation" || k == "title") {
      if (!v.is_string()) return InvalidArgument(k + " must be text");
      (k == "framework"      ? out.framework
       : k == "organisation" ? out.organisation
                             : out.title) = v.get<std::string>();
    } else {
      return InvalidArgument("unknown field '" + k.substr(0, 80) + "' in the answers file");
    }
  }
  if (!out.framework.empty() && out.framework.substr(0, out.framework.find('@')) != f.id)
    return InvalidArgument("the answers are for the framework '" + out.framework + "', not " +
                           f.Name());
  DAULAT_RETURN_IF_ERROR(MergeAnswers(f, patch, out.answers));
  return out;
}

namespace {

int EvidenceLevel(const EvidenceSpec& spec, const json& v) {
  for (const auto& r : spec.rules) {
    if (!r.eq.is_null()) {
      const bool eq =
          (r.eq.is_number() && v.is_number()) ? r.eq.get<double>() == v.get<double>() : r.eq == v;
      if (eq) return r.level;
    } else if (r.has_min && v.is_number() && v.get<double>() >= r.min) {
      return r.level;
    }
  }
  return 0;
}

}  // namespace

void ApplyEvidence(const Framework& f, const std::map<std::string, json>& signals,
                   Answers& answers) {
  for (const auto& q : f.questions) {
    if (!q.evidence) continue;
    const auto it = signals.find(q.evidence->signal);
    if (it == signals.end() || it->second.is_null()) continue;
    const int level = EvidenceLevel(*q.evidence, it->second);
    if (level == 0) continue;
    Answer& a = answers.questions[q.id];
    a.signal = q.evidence->signal;
    a.observed = it->second;
    a.evidence_level = level;
    if (a.source != "user") {
      a.level = level;
      a.source = "evidence";
    } else if (a.level == level) {
      a.reason.clear();  // the override now agrees with the evidence
    }
  }
}

json AnswersToJson(const Answers& answers) {
  json q = json::object();
  for (const auto& [id, a] : answers.questions) {
    json j = {{"level", a.level}, {"source", a.source}};
    if (!a.reason.empty()) j["reason"] = a.reason;
    if (a.evidence_level > 0) {
      j["evidence"] = {{"signal", a.signal}, {"observed", a.observed}, {"level", a.evidence_level}};
    }
    q[id] = j;
  }
  json facts = json::object();
  for (const auto& [id, v] : answers.facts) facts[id] = v;
  return {{"answers", q}, {"facts", facts}};
}

Answers StoredAnswers(const json& j) {
  Answers out;
  if (!j.is_object()) return out;
  const json questions = j.value("answers", json::object());
  const json facts = j.value("facts", json::object());
  for (const auto& [id, v] : questions.items()) {
    if (!v.is_object()) continue;
    Answer a;
    a.level = v.value("level", 0);
    a.source = v.value("source", "user");
    a.reason = v.value("reason", "");
    if (v.contains("evidence") && v["evidence"].is_object()) {
      a.signal = v["evidence"].value("signal", "");
      a.observed = v["evidence"].value("observed", json());
      a.evidence_level = v["evidence"].value("level", 0);
    }
    out.questions[id] = a;
  }
  for (const auto& [id, v] : facts.items()) out.facts[id] = v;
  return out;
}

Answers AnswersFor(const Framework& f, Answers stored) {
  std::erase_if(stored.questions,
                [&f](const auto& kv) { return f.FindQuestion(kv.first) == nullptr; });
  std::erase_if(stored.facts, [&f](const auto& kv) { return f.FindFact(kv.first) == nullptr; });
  return stored;
}

namespace {

double QuestionScore(int level) {
  return level <= 1 ? 0.0 : (level - 1) * 25.0;
}

size_t StageIndex(const Framework& f, const std::string& id) {
  for (size_t i = 0; i < f.stages.size(); ++i) {
    if (f.stages[i].id == id) return i;
  }
  return f.stages.size();
}

void ScorePillars(const Framework& f, const Answers& answers, Score& s) {
  double total_weight = 0, weighted = 0;
  for (const auto& p : f.pillars) {
    PillarScore ps{&p, 0, 0, 0};
    double w = 0, sum = 0;
    for (const auto& q : f.questions) {
      if (q.pillar != p.id) continue;
      const auto it = answers.questions.find(q.id);
      const int level = it == answers.questions.end() ? 0 : it->second.level;
      ++ps.total;
      if (level > 0) ++ps.answered;
      w += q.weight;
      sum += q.weight * QuestionScore(level);
    }
    ps.score = w > 0 ? sum / w : 0;
    s.answered += ps.answered;
    s.total += ps.total;
    total_weight += p.weight;
    weighted += p.weight * ps.score;
    s.pillars.push_back(ps);
  }
  s.overall = total_weight > 0 ? weighted / total_weight : 0;
  s.tier = &f.tiers.front();
  for (const auto& t : f.tiers) {
    if (s.overall + 1e-9 >= t.min) s.tier = &t;
  }
}

void RankGaps(const Framework& f, const Answers& answers, Score& s) {
  double pillar_weights = 0;
  for (const auto& p : f.pillars) pillar_weights += p.weight;
  for (const auto& q : f.questions) {
    const auto it = answers.questions.find(q.id);
    const int level = it == answers.questions.end() ? 0 : it->second.level;
    const int effective = std::max(level, 1);
    if (effective >= s.target_level) continue;
    double in_pillar = 0;
    for (const auto& other : f.questions) {
      if (other.pillar == q.pillar) in_pillar += other.weight;
    }
    const double share = f.FindPillar(q.pillar)->weight / pillar_weights * (q.weight / in_pillar);
    s.gaps.push_back({&q, level, s.target_level, share * (s.target_level - effective)});
  }
  // Stable: equal priorities keep the framework's order.
  std::stable_sort(s.gaps.begin(), s.gaps.end(),
                   [](const Gap& a, const Gap& b) { return a.priority > b.priority + 1e-12; });
}

void CheckGates(const Framework& f, const Answers& answers, Score& s) {
  std::vector<std::pair<const Gate*, GateStatus>> open, met;
  size_t first_blocked = f.stages.size();
  for (const auto& g : f.gates) {
    const Truth t = Evaluate(g.when, answers.facts);
    const GateStatus st = t == Truth::kFalse  ? GateStatus::kMet
                          : t == Truth::kTrue ? GateStatus::kUnmet
                                              : GateStatus::kUnknown;
    (st == GateStatus::kMet ? met : open).emplace_back(&g, st);
    if (st != GateStatus::kMet) first_blocked = std::min(first_blocked, StageIndex(f, g.blocks));
  }
  s.gates = open;
  s.gates.insert(s.gates.end(), met.begin(), met.end());
  for (size_t i = first_blocked; i < f.stages.size(); ++i)
    s.blocked_stages.push_back(f.stages[i].id);
}

// Obligations first: every gate not met goes into the first stage; each gap
// into the stage its question is needed for, most important first.
void PlanRoadmap(const Framework& f, Score& s) {
  for (const auto& st : f.stages) s.roadmap.push_back({&st, {}});
  if (s.roadmap.empty()) return;
  for (const auto& [g, status] : s.gates) {
    if (status != GateStatus::kMet) s.roadmap.front().items.push_back({"gate", g, nullptr});
  }
  for (const auto& gap : s.gaps) {
    const size_t i = std::min(StageIndex(f, gap.question->stage), s.roadmap.size() - 1);
    s.roadmap[i].items.push_back({"gap", nullptr, &gap});
  }
}

}  // namespace

Score ScoreAnswers(const Framework& f, const Answers& answers, int target_level) {
  Score s;
  s.target_level = target_level >= 2 && target_level <= 5 ? target_level : f.target_level;
  ScorePillars(f, answers, s);
  RankGaps(f, answers, s);
  CheckGates(f, answers, s);
  PlanRoadmap(f, s);
  return s;
}

namespace {

double Round1(double v) {
  return std::round(v * 10) / 10;
}

std::string_view GateStatusName(GateStatus g) {
  switch (g) {
    case GateStatus::kMet: return "met";
    case GateStatus::kUnmet: return "unmet";
    case GateStatus::kUnknown: return "unknown";
  }
  return "unknown";
}

json GapJson(const Framework& f, const Gap& g, const std::string& lang) {
  return {{"question", g.question->id},
          {"pillar", g.question->pillar},
          {"text", g.question->text.In(lang)},
          {"level", g.level},
          {"target", g.target},
          {"priority", Round1(g.priority * 100)},
          {"stage", g.question->stage},
          {"action", g.question->action.In(lang)},
          {"next_level", g.question->levels[static_cast<size_t>(std::max(g.level, 1))].In(lang)},
          {"pillar_title", f.FindPillar(g.question->pillar)->title.In(lang)}};
}

json GateJson(const Gate& g, GateStatus st, const std::string& lang) {
  return {{"id", g.id},         {"title", g.title.In(lang)}, {"status", GateStatusName(st)},
          {"blocks", g.blocks}, {"text", g.text.In(lang)},   {"action", g.action.In(lang)}};
}

}  // namespace

json ScoreToJson(const Framework& f, const Answers& answers, const Score& s,
                 const std::string& lang) {
  json pillars = json::array();
  for (const auto& p : s.pillars) {
    pillars.push_back({{"id", p.pillar->id},
                       {"title", p.pillar->title.In(lang)},
                       {"weight", p.pillar->weight},
                       {"score", Round1(p.score)},
                       {"answered", p.answered},
                       {"total", p.total}});
  }
  json gates = json::array();
  for (const auto& [g, st] : s.gates) gates.push_back(GateJson(*g, st, lang));
  json gaps = json::array();
  for (const auto& g : s.gaps) gaps.push_back(GapJson(f, g, lang));
  json roadmap = json::array();
  for (const auto& stage : s.roadmap) {
    json items = json::array();
    for (const auto& it : stage.items) {
      if (it.kind == "gate")
        items.push_back({{"kind", "gate"},
                         {"id", it.gate->id},
                         {"text", it.gate->action.In(lang)},
                         {"required", true}});
      else
        items.push_back({{"kind", "gap"},
                         {"id", it.gap->question->id},
                         {"text", it.gap->question->action.In(lang)},
                         {"from", it.gap->level},
                         {"to", it.gap->target}});
    }
    roadmap.push_back(
        {{"stage", stage.stage->id}, {"title", stage.stage->title.In(lang)}, {"actions", items}});
  }
  json unanswered = json::array();
  for (const auto& q : f.questions) {
    const auto it = answers.questions.find(q.id);
    if (it == answers.questions.end() || it->second.level == 0) unanswered.push_back(q.id);
  }
  return {{"framework", {{"id", f.id}, {"version", f.version}, {"title", f.title.In(lang)}}},
          {"language", lang},
          {"overall", Round1(s.overall)},
          {"tier", {{"id", s.tier->id}, {"title", s.tier->title.In(lang)}, {"min", s.tier->min}}},
          {"target_level", s.target_level},
          {"answered", s.answered},
          {"total", s.total},
          {"unanswered", unanswered},
          {"pillars", pillars},
          {"gates", gates},
          {"blocked_stages", s.blocked_stages},
          {"gaps", gaps},
          {"roadmap", roadmap}};
}

}  // namespace daulat::assessment
