#pragma once

#include <array>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "assessment/gate_conditions.h"
#include "common/status.h"

namespace daulat::assessment {

// A text in the framework's languages; English is required, others fall back to it.
struct Text {
  std::string en, ms;
  const std::string& In(std::string_view language) const;
};

// How an observed platform signal pre-fills a question: the first rule that
// matches gives the level ({eq: true|false} for yes/no signals, {min: n} for counts).
struct EvidenceRule {
  nlohmann::json eq;  // null unless an equality rule
  double min = 0;
  bool has_min = false;
  int level = 1;
};
struct EvidenceSpec {
  std::string signal;
  std::vector<EvidenceRule> rules;
};

struct Question {
  std::string id, pillar, dimension, stage;
  double weight = 1;
  Text text;
  std::array<Text, 5> levels;  // behavioural anchors, level 1..5
  Text action;                 // what to do to climb
  std::vector<std::string> aige, nist;
  std::optional<EvidenceSpec> evidence;
};

struct Dimension {
  std::string id;
  Text title;
  std::vector<std::string> questions;  // ids, in order
};

struct Pillar {
  std::string id;
  double weight = 1;
  Text title;
  std::vector<Dimension> dimensions;
};

struct Fact {
  std::string id, type;  // "integer", "number" or "boolean"
  Text text;
};

struct Gate {
  std::string id, blocks;  // the stage it blocks
  Text title;              // the obligation's name (the id when the file gives none)
  Text text, action;       // what is wrong when it is not met, and what to do
  nlohmann::json when;     // validated condition: the gate is NOT met when it holds
};

struct Tier {
  std::string id;
  double min = 0;
  Text title;
};

struct Stage {
  std::string id;
  Text title;
};

// An assessment framework as data: pillars of dimensions of questions with
// five anchored levels, weights, tiers, stages, facts and gates. Loaded from
// YAML or JSON and validated once; immutable afterwards.
struct Framework {
  std::string id, version;
  Text title;
  int target_level = 4;
  std::array<Text, 5> level_names;
  std::vector<Tier> tiers;  // ascending min, the first at 0
  std::vector<Stage> stages;
  std::vector<Pillar> pillars;
  std::vector<Question> questions;  // every question, in framework order
  std::vector<Fact> facts;
  std::vector<Gate> gates;
  nlohmann::json principles;  // {aige: [...], nist: [...]} for reports

  const Question* FindQuestion(std::string_view id) const;
  const Fact* FindFact(std::string_view id) const;
  const Pillar* FindPillar(std::string_view id) const;
  const Stage* FindStage(std::string_view id) const;
  std::string Name() const { return id + "@" + version; }
};

// Parses YAML (or JSON, a subset) into JSON values: plain scalars become
// null, booleans and numbers as YAML 1.2's core schema reads them; quoted
// scalars stay strings. INVALID_ARGUMENT with the line on a syntax error.
Result<nlohmann::json> ParseYaml(const std::string& text);

// INVALID_ARGUMENT naming the offending path ("pillars[2].dimensions[0]...")
// for anything malformed: missing texts, not exactly five levels, weights
// not > 0, duplicate ids, unknown stages or facts, bad gate conditions.
Result<Framework> ParseFramework(const std::string& text);
Result<Framework> LoadFramework(const std::string& path);
// The framework shipped with daulat (frameworks/star-1.0.yaml, built in).
const Framework& DefaultFramework();
std::string_view DefaultFrameworkText();

// The framework in one language, for questionnaires (the console's).
nlohmann::json FrameworkToJson(const Framework& f, const std::string& language);

}  // namespace daulat::assessment
