#include "gateway/openai_request.h"

#include <limits>

namespace daulat::gateway {
namespace {

using nlohmann::json;

RequestError Bad(const std::string& param, const std::string& message) {
  return {InvalidArgument(message), param};
}

// Reads optional typed fields; the first error sticks.
class Fields {
 public:
  explicit Fields(const json& body) : body_(body) {}
  std::optional<RequestError> error;

  bool Has(const char* key) const { return body_.contains(key) && !body_[key].is_null(); }

  void Number(const char* key, float& out) {
    if (error || !Has(key)) return;
    if (!body_[key].is_number()) {
      error = Bad(key, std::string("'") + key + "' must be a number");
      return;
    }
    const double v = body_[key].get<double>();
    if (v > std::numeric_limits<float>::max() || v < -std::numeric_limits<float>::max()) {
      error = Bad(key, std::string("'") + key + "' is out of range");
      return;
    }
    out = static_cast<float>(v);
  }
  void Integer(const char* key, int32_t& out, int64_t lo, int64_t hi) {
    if (error || !Has(key)) return;
    if (!body_[key].is_number_integer()) {
      error = Bad(key, std::string("'") + key + "' must be an integer");
      return;
    }
    const int64_t v = body_[key].get<int64_t>();
    if (v < lo || v > hi) {
      error = Bad(key, std::string("'") + key + "' must be between " + std::to_string(lo) +
                           " and " + std::to_string(hi));
      return;
    }
    out = static_cast<int32_t>(v);
  }
  void Bool(const char* key, bool& out) {
    if (error || !Has(key)) return;
    if (!body_[key].is_boolean()) {
      error = Bad(key, std::string("'") + key + "' must be true or false");
      return;
    }
    out = body_[key].get<bool>();
  }
  void String(const char* key, std::string& out, bool required) {
    if (error) return;
    if (!Has(key)) {
      if (required) error = Bad(key, std::string("'") + key + "' is required");
      return;
    }
    if (!body_[key].is_string()) {
      error = Bad(key, std::string("'") + key + "' must be a string");
      return;
    }
    out = body_[key].get<std::string>();
    if (required && out.empty()) error = Bad(key, std::string("'") + key + "' must not be empty");
  }

 private:
  const json& body_;
};

// Sampling fields shared by chat and text completions.
void ParseSampling(const json& body, Fields& f, engine::SamplingParams& p, int32_t& n) {
  p.max_tokens = -1;
  f.Number("temperature", p.temperature);
  f.Number("top_p", p.top_p);
  f.Integer("top_k", p.top_k, 0, 1 << 20);
  f.Number("min_p", p.min_p);
  f.Number("presence_penalty", p.presence_penalty);
  f.Number("frequency_penalty", p.frequency_penalty);
  f.Number("repeat_penalty", p.repeat_penalty);
  f.Integer("max_tokens", p.max_tokens, 1, std::numeric_limits<int32_t>::max());
  f.Integer("max_completion_tokens", p.max_tokens, 1, std::numeric_limits<int32_t>::max());
  f.Bool("ignore_eos", p.ignore_eos);  // llama-server's extension, for benchmarks
  if (!f.error && f.Has("seed")) {
    if (!body["seed"].is_number_integer()) {
      f.error = Bad("seed", "'seed' must be an integer");
    } else {
      p.seed = static_cast<uint32_t>(body["seed"].get<int64_t>());
    }
  }
  f.Integer("n", n, 1, kMaxChoices);
  if (!f.error && f.Has("stop")) {
    const auto& stop = body["stop"];
    if (stop.is_string()) {
      p.stop = {stop.get<std::string>()};
    } else if (stop.is_array()) {
      for (const auto& s : stop) {
        if (!s.is_string()) {
          f.error = Bad("stop", "'stop' must be a string or an array of strings");
          return;
        }
        p.stop.push_back(s.get<std::string>());
      }
    } else {
      f.error = Bad("stop", "'stop' must be a string or an array of strings");
    }
  }
  if (!f.error) {
    if (Status st = p.Validate(); !st.ok()) f.error = RequestError{st, ""};
  }
}

void ParseStreamOptions(const json& body, Fields& f, bool& stream, bool& include_usage) {
  f.Bool("stream", stream);
  if (f.error || !f.Has("stream_options")) return;
  const auto& so = body["stream_options"];
  if (!so.is_object()) {
    f.error = Bad("stream_options", "'stream_options' must be an object");
    return;
  }
  if (so.contains("include_usage")) {
    if (!so["include_usage"].is_boolean()) {
      f.error = Bad("stream_options.include_usage", "'include_usage' must be true or false");
      return;
    }
    include_usage = so["include_usage"].get<bool>();
  }
}

std::optional<RequestError> ParseContent(const json& m, size_t i, std::string& out) {
  const std::string param = "messages[" + std::to_string(i) + "].content";
  if (!m.contains("content") || m["content"].is_null()) return std::nullopt;
  const auto& c = m["content"];
  if (c.is_string()) {
    out = c.get<std::string>();
    return std::nullopt;
  }
  if (!c.is_array()) return Bad(param, "'content' must be a string or an array of text parts");
  for (const auto& part : c) {
    if (!part.is_object() || !part.contains("type") || part["type"] != "text" ||
        !part.contains("text") || !part["text"].is_string()) {
      return Bad(param, "only text content parts ({\"type\":\"text\",\"text\":...}) are supported");
    }
    if (!out.empty()) out += "\n";
    out += part["text"].get<std::string>();
  }
  return std::nullopt;
}

std::optional<RequestError> ParseTools(const json& body, ToolRequest& out) {
  if (body.contains("tools") && !body["tools"].is_null()) {
    const auto& tools = body["tools"];
    if (!tools.is_array() || tools.size() > 128)
      return Bad("tools", "'tools' must be an array of at most 128 functions");
    for (size_t i = 0; i < tools.size(); ++i) {
      const auto& t = tools[i];
      const std::string param = "tools[" + std::to_string(i) + "]";
      if (!t.is_object() || !t.contains("type") || t["type"] != "function" ||
          !t.contains("function") || !t["function"].is_object()) {
        return Bad(param, "each tool must be {\"type\": \"function\", \"function\": {...}}");
      }
      const auto& fn = t["function"];
      gateway::ToolDefinition def;
      if (!fn.contains("name") || !fn["name"].is_string() ||
          !gateway::IsValidToolName(fn["name"].get<std::string>())) {
        return Bad(param + ".function.name",
                   "a function name must be 1-64 letters, digits, '_' or '-'");
      }
      def.name = fn["name"].get<std::string>();
      if (fn.contains("description") && fn["description"].is_string())
        def.description = fn["description"].get<std::string>();
      if (fn.contains("parameters") && !fn["parameters"].is_null()) {
        if (!fn["parameters"].is_object())
          return Bad(param + ".function.parameters", "'parameters' must be a JSON Schema object");
        def.parameters_schema =
            fn["parameters"].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      }
      out.tools.push_back(std::move(def));
    }
  }
  if (body.contains("parallel_tool_calls") && !body["parallel_tool_calls"].is_null()) {
    if (!body["parallel_tool_calls"].is_boolean())
      return Bad("parallel_tool_calls", "'parallel_tool_calls' must be true or false");
    out.parallel = body["parallel_tool_calls"].get<bool>();
  }
  if (body.contains("tool_choice") && !body["tool_choice"].is_null()) {
    const auto& c = body["tool_choice"];
    if (c == "auto") {
      out.choice = gateway::ToolChoice::kAuto;
    } else if (c == "none") {
      out.choice = gateway::ToolChoice::kNone;
    } else if (c == "required") {
      out.choice = gateway::ToolChoice::kRequired;
    } else if (c.is_object() && c.contains("function") && c["function"].is_object() &&
               c["function"].contains("name") && c["function"]["name"].is_string()) {
      out.choice = gateway::ToolChoice::kNamed;
      out.named = c["function"]["name"].get<std::string>();
    } else {
      return Bad("tool_choice",
                 "'tool_choice' must be auto, none, required or "
                 "{\"type\":\"function\",\"function\":{\"name\":...}}");
    }
    if (out.choice != gateway::ToolChoice::kNone && out.choice != gateway::ToolChoice::kAuto &&
        out.tools.empty()) {
      return Bad("tool_choice", "'tool_choice' needs 'tools'");
    }
  }
  return std::nullopt;
}

// An assistant turn that called tools, rendered the way the model itself answers.
std::optional<RequestError> ParseAssistantToolCalls(const json& m, size_t i, std::string& content,
                                                    std::vector<gateway::ToolCall>& history) {
  const std::string param = "messages[" + std::to_string(i) + "].tool_calls";
  if (!m["tool_calls"].is_array()) return Bad(param, "'tool_calls' must be an array");
  std::vector<gateway::ToolCall> calls;
  for (const auto& c : m["tool_calls"]) {
    if (!c.is_object() || !c.contains("function") || !c["function"].is_object() ||
        !c["function"].contains("name") || !c["function"]["name"].is_string()) {
      return Bad(param, "each tool call needs function.name");
    }
    gateway::ToolCall call;
    call.id = c.contains("id") && c["id"].is_string() ? c["id"].get<std::string>() : "";
    call.name = c["function"]["name"].get<std::string>();
    call.arguments = c["function"].contains("arguments") && c["function"]["arguments"].is_string()
                         ? c["function"]["arguments"].get<std::string>()
                         : "{}";
    calls.push_back(call);
  }
  history.insert(history.end(), calls.begin(), calls.end());
  content = gateway::AssistantToolCallsMessage(calls, content).content;
  return std::nullopt;
}

// Every body is an object naming a model; false (with f.error set) otherwise.
bool BeginRequest(const json& body, Fields& f, std::string& model) {
  if (!body.is_object()) {
    f.error = Bad("", "the request body must be a JSON object");
    return false;
  }
  f.String("model", model, true);
  return !f.error;
}

}  // namespace

Parsed<ChatCompletionRequest> ParseChatCompletion(const json& body) {
  Parsed<ChatCompletionRequest> out;
  auto& r = out.value;
  Fields f(body);
  if (!BeginRequest(body, f, r.model)) {
    out.error = f.error;
    return out;
  }
  if (!f.error) {
    if (!body.contains("messages") || !body["messages"].is_array() || body["messages"].empty()) {
      f.error = Bad("messages", "'messages' must be a non-empty array");
    }
  }
  if (!f.error) {
    const auto& msgs = body["messages"];
    std::vector<gateway::ToolCall> calls_so_far;
    for (size_t i = 0; i < msgs.size() && !f.error; ++i) {
      const auto& m = msgs[i];
      const std::string param = "messages[" + std::to_string(i) + "]";
      if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
        f.error = Bad(param + ".role", "each message must be an object with a string 'role'");
        break;
      }
      engine::ChatMessage msg;
      msg.role = m["role"].get<std::string>();
      if (msg.role == "developer") msg.role = "system";
      if (msg.role != "system" && msg.role != "user" && msg.role != "assistant" &&
          msg.role != "tool") {
        f.error = Bad(param + ".role", "unknown role '" + msg.role + "'");
        break;
      }
      if (auto e = ParseContent(m, i, msg.content)) f.error = e;
      if (!f.error && msg.role == "assistant" && m.contains("tool_calls") &&
          !m["tool_calls"].is_null()) {
        if (auto e = ParseAssistantToolCalls(m, i, msg.content, calls_so_far)) f.error = e;
      }
      if (!f.error && msg.role == "tool") {
        std::string who = m.contains("tool_call_id") && m["tool_call_id"].is_string()
                              ? m["tool_call_id"].get<std::string>()
                              : "";
        for (const auto& c : calls_so_far) {
          if (!who.empty() && c.id == who) who = c.name + " (" + c.id + ")";
        }
        msg = gateway::ToolResultMessage(who.empty() ? "(unnamed)" : who, msg.content);
      }
      r.messages.push_back(std::move(msg));
    }
  }
  if (!f.error) ParseSampling(body, f, r.params, r.n);
  if (!f.error) ParseStreamOptions(body, f, r.stream, r.include_usage);
  if (!f.error && f.Has("response_format")) {
    const auto& rf = body["response_format"];
    const std::string type = rf.is_object() && rf.contains("type") && rf["type"].is_string()
                                 ? rf["type"].get<std::string>()
                                 : "";
    if (type == "json_object") {
      r.json_object = true;
    } else if (type == "json_schema") {
      if (!rf.contains("json_schema") || !rf["json_schema"].is_object() ||
          !rf["json_schema"].contains("schema") || !rf["json_schema"]["schema"].is_object()) {
        f.error = Bad("response_format.json_schema.schema",
                      "'json_schema.schema' must be a JSON Schema object");
      } else {
        r.json_schema = rf["json_schema"]["schema"].dump(-1, ' ', false,
                                                         nlohmann::json::error_handler_t::replace);
      }
    } else if (type != "text") {
      f.error = Bad("response_format.type",
                    "'response_format.type' must be text, json_object or json_schema");
    }
  }
  if (!f.error) {
    if (auto e = ParseTools(body, r.tools)) f.error = e;
  }
  if (!f.error && !r.tools.tools.empty() && r.tools.choice != gateway::ToolChoice::kNone &&
      (r.json_object || !r.json_schema.empty())) {
    f.error = Bad("response_format", "'response_format' cannot be combined with 'tools'");
  }
  out.error = f.error;
  return out;
}

Parsed<CompletionRequest> ParseCompletion(const json& body) {
  Parsed<CompletionRequest> out;
  auto& r = out.value;
  Fields f(body);
  if (!BeginRequest(body, f, r.model)) {
    out.error = f.error;
    return out;
  }
  if (!f.error) {
    const auto& p = body.contains("prompt") ? body["prompt"] : json();
    if (p.is_string()) {
      r.prompt = p.get<std::string>();
    } else if (p.is_array() && p.size() == 1 && p[0].is_string()) {
      r.prompt = p[0].get<std::string>();
    } else {
      f.error = Bad("prompt", "'prompt' must be a string (or an array holding one string)");
    }
  }
  if (!f.error && r.prompt.empty()) f.error = Bad("prompt", "'prompt' must not be empty");
  if (!f.error) ParseSampling(body, f, r.params, r.n);
  if (!f.error) ParseStreamOptions(body, f, r.stream, r.include_usage);
  f.Bool("echo", r.echo);
  out.error = f.error;
  return out;
}

Parsed<EmbeddingRequest> ParseEmbedding(const json& body) {
  Parsed<EmbeddingRequest> out;
  auto& r = out.value;
  Fields f(body);
  if (!BeginRequest(body, f, r.model)) {
    out.error = f.error;
    return out;
  }
  if (!f.error) {
    const auto& in = body.contains("input") ? body["input"] : json();
    if (in.is_string()) {
      r.inputs = {in.get<std::string>()};
    } else if (in.is_array() && !in.empty() && in.size() <= 2048) {
      for (const auto& s : in) {
        if (!s.is_string()) {
          f.error = Bad("input", "'input' must be a string or an array of strings");
          break;
        }
        r.inputs.push_back(s.get<std::string>());
      }
    } else {
      f.error = Bad("input", "'input' must be a string or an array of 1 to 2048 strings");
    }
  }
  for (const auto& s : r.inputs) {
    if (!f.error && s.empty()) f.error = Bad("input", "'input' must not contain empty strings");
  }
  if (!f.error && f.Has("encoding_format")) {
    const auto& e = body["encoding_format"];
    if (e == "base64") {
      r.base64 = true;
    } else if (e != "float") {
      f.error = Bad("encoding_format", "'encoding_format' must be float or base64");
    }
  }
  out.error = f.error;
  return out;
}

}  // namespace daulat::gateway
