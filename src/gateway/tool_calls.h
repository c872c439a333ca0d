#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "engine/chat_template.h"

namespace daulat::gateway {

// Function calling for models whose chat template has no tool syntax of its
// own (the demo model among them): the tools are described in the system
// message, and a grammar built from their JSON Schemas makes the model answer
// with {"tool_calls": [{"name": ..., "arguments": {...}}]}, either always
// (tool_choice required or named) or once it starts one (auto: the grammar is
// lazy, the model may answer in plain text). A started call therefore always parses.
struct ToolDefinition {
  std::string name;
  std::string description;
  std::string parameters_schema = R"({"type":"object"})";  // JSON Schema text
};

enum class ToolChoice { kAuto, kNone, kRequired, kNamed };

struct ToolRequest {
  std::vector<ToolDefinition> tools;
  ToolChoice choice = ToolChoice::kAuto;
  std::string named;     // kNamed: the function that must be called
  bool parallel = true;  // more than one call in one answer (at most 8)
};

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text, as OpenAI sends it
};

struct ToolReply {
  std::string content;
  std::vector<ToolCall> calls;
};

struct ToolGrammar {
  std::string grammar;
  // With tool_choice auto the model answers freely; the grammar starts when
  // its answer opens a tool call (these regexes). Empty: grammar from the start.
  std::vector<std::string> triggers;
};

// Adds the tool instructions to the conversation (merged into its system
// message) and returns the grammar the answer must follow.
// INVALID_ARGUMENT for an unknown named tool or a schema the grammar builder rejects.
// "call_" and 24 random letters and digits: the id of a tool call daulat
// returns (never an engine's own).
std::string NewToolCallId();

Result<ToolGrammar> PrepareToolConversation(const ToolRequest& request,
                                            std::vector<engine::ChatMessage>& messages);

// Splits the model's answer into text and tool calls; identical repeated calls
// (a small model's loop) are kept once. INTERNAL if a started call does not
// parse (the grammar makes that a bug, not a user error).
Result<ToolReply> ParseToolReply(const std::string& output);

// How earlier turns appear in the conversation: an assistant turn that called
// tools, and a tool's result.
engine::ChatMessage AssistantToolCallsMessage(const std::vector<ToolCall>& calls,
                                              const std::string& content);
engine::ChatMessage ToolResultMessage(const std::string& name_or_id, const std::string& content);

bool IsValidToolName(const std::string& name);

}  // namespace daulat::gateway
