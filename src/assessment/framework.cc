#include "assessment/framework.h"

#include <cmath>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "assessment/gate_conditions.h"

namespace daulat::assessment {
namespace {

using nlohmann::json;

// Reads fields of one object, remembering the first problem with its path.
class Reader {
 public:
  Reader(const json& j, std::string path, Status& st) : j_(j), path_(std::move(path)), st_(st) {
    if (!j_.is_object()) Fail("must be a mapping");
  }
  bool ok() const { return st_.ok(); }
  const std::string& path() const { return path_; }
  void Fail(const std::string& what) {
    if (st_.ok()) st_ = InvalidArgument("framework: " + path_ + " " + what);
  }
  const json& Get(const std::string& key) const {
    static const json kNull;
    return j_.is_object() && j_.contains(key) ? j_.at(key) : kNull;
  }
  std::string Id(const std::string& key) {
    static const std::regex kId("[a-z0-9][a-z0-9_.-]{0,63}");
    const json& v = Get(key);
    if (!v.is_string() || !std::regex_match(v.get<std::string>(), kId)) {
      Fail(key + " must be an id (a-z, 0-9, _ . -)");
      return {};
    }
    return v.get<std::string>();
  }
  std::string String(const std::string& key) {
    const json& v = Get(key);
    if (!v.is_string() || v.get<std::string>().empty()) {
      Fail(key + " must be a non-empty string");
      return {};
    }
    return v.get<std::string>();
  }
  double Positive(const std::string& key, double fallback) {
    const json& v = Get(key);
    if (v.is_null()) return fallback;
    if (!v.is_number() || !(v.get<double>() > 0) || !std::isfinite(v.get<double>())) {
      Fail(key + " must be a number above 0");
      return fallback;
    }
    return v.get<double>();
  }
  // {en, ms} in place (the object itself) or under `key`.
  Text TextOf(const std::string& key = "") {
    const json& src = key.empty() ? j_ : Get(key);
    Text t;
    if (!src.is_object() || !src.contains("en") || !src["en"].is_string() ||
        src["en"].get<std::string>().empty()) {
      Fail((key.empty() ? std::string("") : key + ".") + "en must be a non-empty string");
      return t;
    }
    t.en = src["en"].get<std::string>();
    if (src.contains("ms")) {
      if (!src["ms"].is_string())
        Fail((key.empty() ? "" : key + ".") + std::string("ms must be a string"));
      else
        t.ms = src["ms"].get<std::string>();
    }
    return t;
  }
  std::vector<std::string> Ids(const std::string& key) {
    std::vector<std::string> out;
    const json& v = Get(key);
    if (v.is_null()) return out;
    if (!v.is_array()) {
      Fail(key + " must be a list");
      return out;
    }
    for (const auto& x : v) {
      if (!x.is_string())
        Fail(key + " must list strings");
      else
        out.push_back(x.get<std::string>());
    }
    return out;
  }
  const json& List(const std::string& key, bool required = true) {
    const json& v = Get(key);
    if ((required || !v.is_null()) && (!v.is_array() || (required && v.empty())))
      Fail(key + " must be a non-empty list");
    return v;
  }

 private:
  const json& j_;
  std::string path_;
  Status& st_;
};

std::string At(const std::string& base, const std::string& key, size_t i) {
  return base + (base.empty() ? "" : ".") + key + "[" + std::to_string(i) + "]";
}

std::array<Text, 5> FiveTexts(Reader& r, const std::string& key) {
  std::array<Text, 5> out;
  const json& v = r.List(key);
  if (!r.ok()) return out;
  if (v.size() != 5) {
    r.Fail(key + " must have exactly 5 entries (levels 1 to 5)");
    return out;
  }
  for (size_t i = 0; i < 5; ++i) {
    Status st;
    Reader item(v[i], r.path() + "." + At("", key, i), st);
    out[i] = item.TextOf();
    if (!st.ok()) r.Fail(key + "[" + std::to_string(i) + "]: " + st.message());
  }
  return out;
}

std::optional<EvidenceSpec> EvidenceOf(Reader& q) {
  const json& e = q.Get("evidence");
  if (e.is_null()) return std::nullopt;
  Status st;
  Reader r(e, q.path() + ".evidence", st);
  EvidenceSpec spec;
  spec.signal = r.Id("signal");
  const json& rules = r.List("map");
  for (size_t i = 0; r.ok() && i < rules.size(); ++i) {
    Reader rule(rules[i], At(r.path(), "map", i), st);
    EvidenceRule out;
    const json& level = rule.Get("level");
    if (!level.is_number_integer() || level.get<int>() < 1 || level.get<int>() > 5)
      rule.Fail("level must be 1 to 5");
    else
      out.level = level.get<int>();
    if (rule.Get("eq").is_boolean() || rule.Get("eq").is_number() || rule.Get("eq").is_string())
      out.eq = rule.Get("eq");
    else if (rule.Get("min").is_number()) {
      out.min = rule.Get("min").get<double>();
      out.has_min = true;
    } else {
      rule.Fail("needs eq (a value) or min (a number)");
    }
    spec.rules.push_back(out);
  }
  if (!st.ok()) q.Fail(st.message().substr(std::string("framework: ").size()));
  return spec;
}

}  // namespace

const std::string& Text::In(std::string_view language) const {
  return language == "ms" && !ms.empty() ? ms : en;
}

const Question* Framework::FindQuestion(std::string_view qid) const {
  for (const auto& q : questions) {
    if (q.id == qid) return &q;
  }
  return nullptr;
}
const Fact* Framework::FindFact(std::string_view fid) const {
  for (const auto& f : facts) {
    if (f.id == fid) return &f;
  }
  return nullptr;
}
const Pillar* Framework::FindPillar(std::string_view pid) const {
  for (const auto& p : pillars) {
    if (p.id == pid) return &p;
  }
  return nullptr;
}
const Stage* Framework::FindStage(std::string_view sid) const {
  for (const auto& s : stages) {
    if (s.id == sid) return &s;
  }
  return nullptr;
}

namespace {

void ReadHead(Reader& r, Framework& f) {
  f.id = r.Id("id");
  f.version = r.String("version");
  f.title = r.TextOf("title");
  const json& target = r.Get("target_level");
  if (!target.is_null()) {
    if (!target.is_number_integer() || target.get<int>() < 2 || target.get<int>() > 5)
      r.Fail("target_level must be 2 to 5");
    else
      f.target_level = target.get<int>();
  }
  f.level_names = FiveTexts(r, "levels");
  f.principles = r.Get("principles").is_object() ? r.Get("principles") : json::object();
}

void ReadTiersAndStages(Reader& r, Framework& f, Status& st) {
  const json& tiers = r.List("tiers");
  for (size_t i = 0; r.ok() && i < tiers.size(); ++i) {
    Reader t(tiers[i], At("", "tiers", i), st);
    Tier tier{t.Id("id"), 0, t.TextOf()};
    const json& min = t.Get("min");
    if (!min.is_number() || min.get<double>() < 0 || min.get<double>() > 100)
      t.Fail("min must be a score from 0 to 100");
    else
      tier.min = min.get<double>();
    if (i == 0 && tier.min != 0) t.Fail("min must be 0 for the first tier");
    if (i > 0 && tier.min <= f.tiers.back().min) t.Fail("min must rise from tier to tier");
    f.tiers.push_back(tier);
  }
  const json& stages = r.List("stages");
  for (size_t i = 0; r.ok() && st.ok() && i < stages.size(); ++i) {
    Reader s(stages[i], At("", "stages", i), st);
    f.stages.push_back({s.Id("id"), s.TextOf()});
  }
}

void ReadQuestion(const json& j, const std::string& path, const Pillar& p, Dimension& d,
                  Framework& f, Status& st) {
  Reader r(j, path, st);
  Question q;
  q.id = r.Id("id");
  q.pillar = p.id;
  q.dimension = d.id;
  q.weight = r.Positive("weight", 1);
  q.stage = r.Id("stage");
  if (r.ok() && f.FindStage(q.stage) == nullptr) r.Fail("stage '" + q.stage + "' is not a stage");
  q.text = r.TextOf();
  q.levels = FiveTexts(r, "levels");
  q.action = r.TextOf("action");
  q.aige = r.Ids("aige");
  q.nist = r.Ids("nist");
  q.evidence = EvidenceOf(r);
  if (r.ok() && f.FindQuestion(q.id) != nullptr) r.Fail("repeats the question id '" + q.id + "'");
  d.questions.push_back(q.id);
  f.questions.push_back(std::move(q));
}

void ReadPillars(Reader& r, Framework& f, Status& st) {
  const json& pillars = r.List("pillars");
  for (size_t i = 0; st.ok() && i < pillars.size(); ++i) {
    const std::string ppath = At("", "pillars", i);
    Reader pr(pillars[i], ppath, st);
    Pillar p{pr.Id("id"), pr.Positive("weight", 1), pr.TextOf(), {}};
    if (pr.ok() && f.FindPillar(p.id) != nullptr) pr.Fail("repeats the pillar id '" + p.id + "'");
    const json& dims = pr.List("dimensions");
    for (size_t k = 0; st.ok() && k < dims.size(); ++k) {
      const std::string dpath = At(ppath, "dimensions", k);
      Reader dr(dims[k], dpath, st);
      Dimension d{dr.Id("id"), dr.TextOf(), {}};
      const json& qs = dr.List("questions");
      for (size_t n = 0; st.ok() && n < qs.size(); ++n)
        ReadQuestion(qs[n], At(dpath, "questions", n), p, d, f, st);
      p.dimensions.push_back(std::move(d));
    }
    f.pillars.push_back(std::move(p));
  }
}

void ReadFactsAndGates(Reader& r, Framework& f, Status& st) {
  const json& facts = r.List("facts", false);
  for (size_t i = 0; st.ok() && facts.is_array() && i < facts.size(); ++i) {
    Reader fr(facts[i], At("", "facts", i), st);
    Fact fact{fr.Id("id"), fr.String("type"), fr.TextOf()};
    if (fr.ok() && fact.type != "integer" && fact.type != "number" && fact.type != "boolean")
      fr.Fail("type must be integer, number or boolean");
    if (fr.ok() && (f.FindFact(fact.id) != nullptr || f.FindQuestion(fact.id) != nullptr))
      fr.Fail("repeats the id '" + fact.id + "'");
    f.facts.push_back(std::move(fact));
  }
  std::set<std::string> fact_ids;
  for (const auto& fact : f.facts) fact_ids.insert(fact.id);
  const json& gates = r.List("gates", false);
  for (size_t i = 0; st.ok() && gates.is_array() && i < gates.size(); ++i) {
    const std::string gpath = At("", "gates", i);
    Reader gr(gates[i], gpath, st);
    Gate g{gr.Id("id"), gr.Id("blocks"), {}, gr.TextOf(), gr.TextOf("action"), gr.Get("when")};
    g.title = gr.Get("title").is_null() ? Text{g.id, ""} : gr.TextOf("title");
    if (gr.ok() && f.FindStage(g.blocks) == nullptr) gr.Fail("blocks an unknown stage");
    if (gr.ok()) st = CheckCondition(g.when, gpath + ".when", fact_ids, 0);
    f.gates.push_back(std::move(g));
  }
}

}  // namespace

Result<Framework> ParseFramework(const std::string& text) {
  auto doc = ParseYaml(text);
  if (!doc.ok()) return InvalidArgument("framework: " + doc.status().message());
  Status st;
  Framework f;
  Reader r(*doc, "(top)", st);
  if (st.ok()) ReadHead(r, f);
  if (st.ok()) ReadTiersAndStages(r, f, st);
  if (st.ok()) ReadPillars(r, f, st);
  if (st.ok()) ReadFactsAndGates(r, f, st);
  if (!st.ok()) return st;
  return f;
}

Result<Framework> LoadFramework(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read the framework file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > size_t{4} << 20)
    return InvalidArgument("framework file over 4 MiB: " + path);
  return ParseFramework(text.str());
}

const Framework& DefaultFramework() {
  // The built-in file is checked by tests; a broken build fails loudly here.
  static const Framework kDefault = [] {
    auto f = ParseFramework(std::string(DefaultFrameworkText()));
    if (!f.ok()) throw std::runtime_error(f.status().message());
    return std::move(f).value();
  }();
  return kDefault;
}

}  // namespace daulat::assessment

namespace daulat::assessment {

nlohmann::json FrameworkToJson(const Framework& f, const std::string& L) {
  using nlohmann::json;
  json levels = json::array(), tiers = json::array(), stages = json::array(),
       pillars = json::array();
  for (const auto& l : f.level_names) levels.push_back(l.In(L));
  for (const auto& t : f.tiers)
    tiers.push_back({{"id", t.id}, {"min", t.min}, {"title", t.title.In(L)}});
  for (const auto& s : f.stages) stages.push_back({{"id", s.id}, {"title", s.title.In(L)}});
  for (const auto& p : f.pillars) {
    json dims = json::array();
    for (const auto& d : p.dimensions) {
      json qs = json::array();
      for (const auto& id : d.questions) {
        const Question& q = *f.FindQuestion(id);
        json anchors = json::array();
        for (const auto& l : q.levels) anchors.push_back(l.In(L));
        json jq = {{"id", q.id},       {"text", q.text.In(L)}, {"weight", q.weight},
                   {"stage", q.stage}, {"levels", anchors},    {"action", q.action.In(L)},
                   {"aige", q.aige},   {"nist", q.nist}};
        if (q.evidence) jq["evidence_signal"] = q.evidence->signal;
        qs.push_back(jq);
      }
      dims.push_back({{"id", d.id}, {"title", d.title.In(L)}, {"questions", qs}});
    }
    pillars.push_back(
        {{"id", p.id}, {"title", p.title.In(L)}, {"weight", p.weight}, {"dimensions", dims}});
  }
  json facts = json::array(), gates = json::array();
  for (const auto& x : f.facts)
    facts.push_back({{"id", x.id}, {"type", x.type}, {"text", x.text.In(L)}});
  for (const auto& g : f.gates)
    gates.push_back(
        {{"id", g.id}, {"title", g.title.In(L)}, {"text", g.text.In(L)}, {"blocks", g.blocks}});
  return {{"object", "assessment.framework"},
          {"id", f.id},
          {"version", f.version},
          {"title", f.title.In(L)},
          {"language", L},
          {"target_level", f.target_level},
          {"levels", levels},
          {"tiers", tiers},
          {"stages", stages},
          {"pillars", pillars},
          {"facts", facts},
          {"gates", gates}};
}

}  // namespace daulat::assessment
