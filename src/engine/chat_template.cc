#include "engine/chat_template.h"

#include <chat.h>

#include <exception>

namespace daulat::engine {

Result<std::unique_ptr<ChatTemplate>> ChatTemplate::ForModel(const Model& model,
                                                             const std::string& override_source) {
  try {
    common_chat_templates_ptr templates = common_chat_templates_init(model.raw(), override_source);
    if (!templates) return FailedPrecondition("the model's chat template could not be loaded");
    return std::unique_ptr<ChatTemplate>(
        new ChatTemplate(templates.release(), ControlTokenFilter::ForModel(model)));
  } catch (const std::exception& e) {
    return FailedPrecondition(std::string("the model's chat template does not parse: ") + e.what());
  }
}

ChatTemplate::~ChatTemplate() {
  common_chat_templates_free(templates_);
}

Result<ChatPrompt> ChatTemplate::Apply(const std::vector<ChatMessage>& messages,
                                       bool add_generation_prompt) const {
  if (messages.empty()) return InvalidArgument("the conversation has no messages");
  common_chat_templates_inputs inputs;
  inputs.use_jinja = true;
  inputs.add_generation_prompt = add_generation_prompt;
  for (const auto& m : messages) {
    if (m.role != "system" && m.role != "user" && m.role != "assistant" && m.role != "tool") {
      return InvalidArgument("unknown message role '" + m.role + "'");
    }
    common_chat_msg msg;
    msg.role = m.role;
    msg.content = filter_.Neutralise(m.content);
    inputs.messages.push_back(std::move(msg));
  }
  try {
    common_chat_params params = common_chat_templates_apply(templates_, inputs);
    return ChatPrompt{std::move(params.prompt), std::move(params.additional_stops)};
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("the chat template rejected the conversation: ") + e.what());
  }
}

std::string ChatTemplate::source() const {
  return common_chat_templates_source(templates_);
}

}  // namespace daulat::engine
