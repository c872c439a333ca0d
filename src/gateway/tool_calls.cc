#include "gateway/tool_calls.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>

#include "engine/structured_output.h"

namespace daulat::gateway {
namespace {

using nlohmann::json;

// Where a tool call begins in the model's answer.
constexpr const char* kCallStart = R"(\{\s*"tool_calls")";

}  // namespace

std::string NewToolCallId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kAlnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string id = "call_";
  for (int i = 0; i < 24; ++i) id.push_back(kAlnum[rng() % (sizeof kAlnum - 1)]);
  return id;
}

bool IsValidToolName(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
  });
}

Result<ToolGrammar> PrepareToolConversation(const ToolRequest& request,
                                            std::vector<engine::ChatMessage>& messages) {
  std::vector<const ToolDefinition*> offered;
  for (const auto& t : request.tools) {
    if (request.choice != ToolChoice::kNamed || t.name == request.named) offered.push_back(&t);
  }
  if (request.choice == ToolChoice::kNamed && offered.empty()) {
    return InvalidArgument("tool_choice names '" + request.named + "', which is not in tools");
  }
  json alternatives = json::array();
  std::string listing;
  for (const auto* t : offered) {
    const json params = json::parse(t->parameters_schema, nullptr, false);
    if (params.is_discarded() || !params.is_object()) {
      return InvalidArgument("the parameters of tool '" + t->name +
                             "' are not a JSON Schema object");
    }
    alternatives.push_back({{"type", "object"},
                            {"properties", {{"name", {{"const", t->name}}}, {"arguments", params}}},
                            {"required", {"name", "arguments"}},
                            {"additionalProperties", false}});
    listing += "- " + t->name + ": " + t->description + "\n  arguments (JSON Schema): " +
               params.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  const json call = alternatives.size() == 1 ? alternatives[0] : json{{"anyOf", alternatives}};
  const json calls = {{"type", "object"},
                      {"properties",
                       {{"tool_calls",
                         {{"type", "array"},
                          {"items", call},
                          {"minItems", 1},
                          {"maxItems", request.parallel ? 8 : 1}}}}},
                      {"required", {"tool_calls"}},
                      {"additionalProperties", false}};
  const bool may_answer = request.choice == ToolChoice::kAuto;
  auto grammar = engine::GrammarForJsonSchema(
      calls.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (!grammar.ok()) return grammar.status();
  ToolGrammar out{std::move(grammar).value(), {}};
  if (may_answer) out.triggers = {std::string(kCallStart)};

  std::string instructions =
      "You can call these tools:\n" + listing +
      "Reply with JSON only. To call tools: {\"tool_calls\": [{\"name\": \"<tool>\", "
      "\"arguments\": {...}}]}.";
  if (may_answer) instructions += " If no tool is needed, answer in plain text.";
  if (!messages.empty() && messages.front().role == "system") {
    messages.front().content += "\n\n" + instructions;
  } else {
    messages.insert(messages.begin(), {"system", instructions});
  }
  return out;
}

Result<ToolReply> ParseToolReply(const std::string& output) {
  ToolReply reply;
  std::smatch match;
  if (!std::regex_search(output, match, std::regex(kCallStart))) {
    reply.content = output;
    return reply;
  }
  const auto start = static_cast<size_t>(match.position(0));
  reply.content = output.substr(0, start);
  while (!reply.content.empty() &&
         std::isspace(static_cast<unsigned char>(reply.content.back())) != 0) {
    reply.content.pop_back();
  }
  const json j = json::parse(output.substr(start), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Internal("the model's tool call is not a JSON object");
  if (j.contains("tool_calls") && j["tool_calls"].is_array()) {
    for (const auto& c : j["tool_calls"]) {
      if (!c.is_object() || !c.contains("name") || !c["name"].is_string()) continue;
      ToolCall call{
          NewToolCallId(), c["name"].get<std::string>(),
          c.contains("arguments")
              ? c["arguments"].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
              : "{}"};
      const bool repeated =
          std::any_of(reply.calls.begin(), reply.calls.end(), [&](const ToolCall& seen) {
            return seen.name == call.name && seen.arguments == call.arguments;
          });
      if (!repeated) reply.calls.push_back(std::move(call));
    }
  }
  return reply;
}

engine::ChatMessage AssistantToolCallsMessage(const std::vector<ToolCall>& calls,
                                              const std::string& content) {
  json arr = json::array();
  for (const auto& c : calls) {
    json args = json::parse(c.arguments, nullptr, false);
    arr.push_back(
        {{"name", c.name}, {"arguments", args.is_discarded() ? json(c.arguments) : args}});
  }
  json j = {{"tool_calls", arr}};
  if (!content.empty()) j["content"] = content;
  return {"assistant", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

engine::ChatMessage ToolResultMessage(const std::string& name_or_id, const std::string& content) {
  return {"user", "Result of tool call " + name_or_id + ": " + content};
}

}  // namespace daulat::gateway
