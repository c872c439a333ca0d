#include "gateway/tool_calls.h"

#include <gtest/gtest.h>

namespace daulat::gateway {
namespace {

ToolRequest Weather(ToolChoice choice) {
  ToolRequest r;
  r.tools.push_back(
      {"get_weather", "Current weather for a city",
       R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})"});
  r.tools.push_back({"get_time", "Local time", R"({"type":"object"})"});
  r.choice = choice;
  return r;
}

TEST(ToolCallsTest, RequiredCallsGetAStrictGrammarAndInstructions) {
  std::vector<engine::ChatMessage> messages = {{"user", "Weather in Kuching?"}};
  auto g = PrepareToolConversation(Weather(ToolChoice::kRequired), messages);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_TRUE(g->triggers.empty());
  EXPECT_NE(g->grammar.find("get_weather"), std::string::npos);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].role, "system");
  EXPECT_NE(messages[0].content.find("get_time"), std::string::npos);
}

TEST(ToolCallsTest, AutoIsLazyAndMergesIntoTheSystemMessage) {
  std::vector<engine::ChatMessage> messages = {{"system", "Be brief."}, {"user", "hi"}};
  auto g = PrepareToolConversation(Weather(ToolChoice::kAuto), messages);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g->triggers.empty());
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].content.rfind("Be brief.", 0), 0u);
}

TEST(ToolCallsTest, NamedChoiceMustExistAndSchemasMustBeObjects) {
  std::vector<engine::ChatMessage> messages = {{"user", "x"}};
  auto r = Weather(ToolChoice::kNamed);
  r.named = "get_time";
  auto g = PrepareToolConversation(r, messages);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->grammar.find("get_weather"), std::string::npos);
  r.named = "launch_missiles";
  EXPECT_EQ(PrepareToolConversation(r, messages).status().code(), StatusCode::kInvalidArgument);
  auto bad = Weather(ToolChoice::kRequired);
  bad.tools[0].parameters_schema = "[1,2]";
  EXPECT_EQ(PrepareToolConversation(bad, messages).status().code(), StatusCode::kInvalidArgument);
}

TEST(ToolCallsTest, ParsesCallsTextAndDropsRepeats) {
  auto plain = ParseToolReply("The capital is Kuala Lumpur.");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->content, "The capital is Kuala Lumpur.");
  EXPECT_TRUE(plain->calls.empty());

  auto calls = ParseToolReply(
      R"(Let me check. {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Ipoh"}},)"
      R"( {"name": "get_weather", "arguments": {"city": "Ipoh"}}, {"name": "get_time", "arguments": {}}]})");
  ASSERT_TRUE(calls.ok());
  EXPECT_EQ(calls->content, "Let me check.");
  ASSERT_EQ(calls->calls.size(), 2u);
  EXPECT_EQ(calls->calls[0].name, "get_weather");
  EXPECT_EQ(calls->calls[0].arguments, R"({"city":"Ipoh"})");
  EXPECT_EQ(calls->calls[0].id.rfind("call_", 0), 0u);
  EXPECT_NE(calls->calls[0].id, calls->calls[1].id);

  EXPECT_EQ(ParseToolReply(R"({"tool_calls": [{"name": "x", )").status().code(),
            StatusCode::kInternal);
}

TEST(ToolCallsTest, HistoryMessagesRenderAsTheModelWouldAnswer) {
  auto m = AssistantToolCallsMessage({{"call_1", "get_weather", R"({"city":"Ipoh"})"}}, "");
  EXPECT_EQ(m.role, "assistant");
  auto parsed = ParseToolReply(m.content);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->calls.size(), 1u);
  EXPECT_EQ(parsed->calls[0].arguments, R"({"city":"Ipoh"})");
  EXPECT_EQ(ToolResultMessage("get_weather (call_1)", "31C").role, "user");
}

}  // namespace
}  // namespace daulat::gateway
