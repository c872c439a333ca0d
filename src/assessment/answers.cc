#include "assessment/answers.h"

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

}  // namespace daulat::assessment
