#include "assessment/scoring.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace daulat::assessment {

using nlohmann::json;

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
  std::map<std::string, double> question_weights;  // pillar -> its questions' weights
  for (const auto& q : f.questions) question_weights[q.pillar] += q.weight;
  for (const auto& q : f.questions) {
    const auto it = answers.questions.find(q.id);
    const int level = it == answers.questions.end() ? 0 : it->second.level;
    const int effective = std::max(level, 1);
    if (effective >= s.target_level) continue;
    const double share =
        f.FindPillar(q.pillar)->weight / pillar_weights * (q.weight / question_weights[q.pillar]);
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
