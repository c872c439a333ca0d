#include "engine/session.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tiny_model.h"

namespace daulat::engine {
namespace {

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = Model::Load(testing::SharedTinyModelPath());
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = *m;
  }
  std::unique_ptr<Session> NewSession(uint32_t ctx = 256) {
    SessionOptions o;
    o.context_length = ctx;
    o.batch_size = 32;  // several prefill chunks for the longer prompts
    o.threads = 1;
    auto s = Session::Create(model_, o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  static SamplingParams Greedy(int max_tokens) {
    SamplingParams p;
    p.temperature = 0;
    p.max_tokens = max_tokens;
    p.ignore_eos = true;
    return p;
  }
  std::vector<Token> Prompt(const std::string& text) const {
    return model_->Tokenize(text, true, false);
  }

  std::shared_ptr<const Model> model_;
};

TEST_F(SessionTest, GreedyGenerationIsDeterministicAndHonoursMaxTokens) {
  auto a = NewSession();
  auto b = NewSession();
  const auto prompt = Prompt("Apakah ibu negara Malaysia?");
  auto ra = a->Generate(prompt, Greedy(12));
  auto rb = b->Generate(prompt, Greedy(12));
  ASSERT_TRUE(ra.ok()) << ra.status().ToString();
  ASSERT_TRUE(rb.ok());
  EXPECT_EQ(ra->text, rb->text);
  EXPECT_FALSE(ra->text.empty());
  EXPECT_EQ(ra->stats.completion_tokens, 12u);
  EXPECT_EQ(ra->stats.prompt_tokens, prompt.size());
  EXPECT_EQ(ra->finish_reason, FinishReason::kLength);
}

TEST_F(SessionTest, SeededSamplingRepeatsAndDifferentSeedsDiffer) {
  auto s = NewSession();
  const auto prompt = Prompt("Tell me a story");
  SamplingParams p;
  p.temperature = 1.5f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.max_tokens = 24;
  p.ignore_eos = true;
  p.seed = 7;
  // Cold runs: a reused prefix may differ in the last float bits, and at this
  // temperature that can change a sampled token.
  auto r1 = s->Generate(prompt, p);
  s->Reset();
  auto r2 = s->Generate(prompt, p);
  p.seed = 8;
  auto r3 = s->Generate(prompt, p);
  ASSERT_TRUE(r1.ok() && r2.ok() && r3.ok());
  EXPECT_EQ(r1->text, r2->text);
  EXPECT_NE(r1->text, r3->text);
}

TEST_F(SessionTest, PenaltiesChangeGreedyOutput) {
  auto s = NewSession();
  // Greedy decoding of the first answer token, then the same prompt with that
  // token already said: heavy penalties must steer away from it.
  const auto prompt = Prompt("hello hello hello");
  auto plain = s->Generate(prompt, Greedy(1));
  ASSERT_TRUE(plain.ok());
  SamplingParams p = Greedy(1);
  p.repeat_penalty = 10.0f;
  p.presence_penalty = 2.0f;
  p.frequency_penalty = 2.0f;
  auto penalised = s->Generate(prompt, p);
  ASSERT_TRUE(penalised.ok());
  EXPECT_EQ(penalised->stats.completion_tokens, 1u);
  auto plain_again = s->Generate(prompt, Greedy(1));
  ASSERT_TRUE(plain_again.ok());
  EXPECT_EQ(plain->text, plain_again->text);
  // The prompt's own tokens are penalised: the penalised pick is never "hello".
  EXPECT_EQ(penalised->text.find("hello"), std::string::npos) << penalised->text;
  SamplingParams longer = p;
  longer.max_tokens = 40;
  auto plain40 = s->Generate(prompt, Greedy(40));
  auto pen40 = s->Generate(prompt, longer);
  ASSERT_TRUE(plain40.ok() && pen40.ok());
  EXPECT_NE(plain40->text, pen40->text);
}

TEST_F(SessionTest, StopStringEndsTheAnswerBeforeIt) {
  auto s = NewSession();
  const auto prompt = Prompt("Kuala Lumpur");
  auto full = s->Generate(prompt, Greedy(30));
  ASSERT_TRUE(full.ok());
  ASSERT_GT(full->text.size(), 10u);
  // Stop on a piece from the middle of what greedy decoding produces.
  const std::string stop = full->text.substr(full->text.size() / 2, 3);
  SamplingParams p = Greedy(30);
  p.stop = {stop};
  auto cut = s->Generate(prompt, p);
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(cut->finish_reason, FinishReason::kStop);
  EXPECT_EQ(cut->text, full->text.substr(0, full->text.find(stop)));
  EXPECT_EQ(cut->text.find(stop), std::string::npos);
}

TEST_F(SessionTest, StreamedPiecesAddUpToTheText) {
  auto s = NewSession();
  std::string streamed;
  auto r = s->Generate(Prompt("吉隆坡"), Greedy(20), [&](std::string_view t) { streamed += t; });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(streamed, r->text);
}

TEST_F(SessionTest, ReusesCachedPrefixWithIdenticalResults) {
  auto warm = NewSession();
  auto cold = NewSession();
  const std::string first = "User: What is the capital of Malaysia?\nAssistant:";
  auto r1 = warm->Generate(Prompt(first), Greedy(8));
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->stats.reused_prompt_tokens, 0u);
  const auto second = Prompt(first + r1->text + "\nUser: And of Japan?\nAssistant:");
  auto r2 = warm->Generate(second, Greedy(8));
  ASSERT_TRUE(r2.ok());
  EXPECT_GT(r2->stats.reused_prompt_tokens, 10u);
  auto r2_cold = cold->Generate(second, Greedy(8));
  ASSERT_TRUE(r2_cold.ok());
  EXPECT_EQ(r2->text, r2_cold->text);
  // A different prompt drops the stale suffix and still matches a cold run.
  const auto other = Prompt("User: Something else entirely");
  auto r3 = warm->Generate(other, Greedy(8));
  auto r3_cold = NewSession()->Generate(other, Greedy(8));
  ASSERT_TRUE(r3.ok() && r3_cold.ok());
  EXPECT_EQ(r3->text, r3_cold->text);
}

TEST_F(SessionTest, CancelFromAnotherThreadStopsGeneration) {
  auto s = NewSession(512);
  CancellationToken cancel;
  std::atomic<int> pieces{0};
  std::thread canceller([&] {
    while (pieces.load() < 3) std::this_thread::yield();
    cancel.Cancel();
  });
  SamplingParams p = Greedy(-1);
  auto r = s->Generate(
      Prompt("count forever"), p, [&](std::string_view) { ++pieces; }, &cancel);
  canceller.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->finish_reason, FinishReason::kCancelled);
  EXPECT_LT(r->stats.completion_tokens, 400u);
  // The session stays usable afterwards.
  auto again = s->Generate(Prompt("hello"), Greedy(4));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->stats.completion_tokens, 4u);
}

TEST_F(SessionTest, CancelledBeforeStartReturnsCancelled) {
  auto s = NewSession();
  CancellationToken cancel;
  cancel.Cancel();
  auto r = s->Generate(Prompt("hello"), Greedy(10), nullptr, &cancel);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->finish_reason, FinishReason::kCancelled);
  EXPECT_EQ(r->stats.completion_tokens, 0u);
}

TEST_F(SessionTest, StopsAtTheEndOfTheContextWindow) {
  auto s = NewSession(64);  // libllama may round the window up
  const auto prompt = Prompt("a b c d e");
  auto r = s->Generate(prompt, Greedy(-1));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->finish_reason, FinishReason::kLength);
  EXPECT_EQ(prompt.size() + r->stats.completion_tokens, s->context_length());
}

TEST_F(SessionTest, RejectsBadInput) {
  auto s = NewSession(64);
  EXPECT_EQ(s->Generate({}, Greedy(4)).status().code(), StatusCode::kInvalidArgument);
  std::string long_text;
  for (int i = 0; i < 600; ++i) long_text += "word ";
  auto too_long = s->Generate(Prompt(long_text), Greedy(4));
  EXPECT_EQ(too_long.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(too_long.status().message().find("context window"), std::string::npos);
  SamplingParams bad = Greedy(4);
  bad.temperature = -1;
  EXPECT_EQ(s->Generate(Prompt("x"), bad).status().code(), StatusCode::kInvalidArgument);
  bad = Greedy(0);
  EXPECT_EQ(s->Generate(Prompt("x"), bad).status().code(), StatusCode::kInvalidArgument);
  bad = Greedy(4);
  bad.stop = {""};
  EXPECT_EQ(s->Generate(Prompt("x"), bad).status().code(), StatusCode::kInvalidArgument);
  bad = Greedy(4);
  bad.top_p = 0;
  EXPECT_EQ(s->Generate(Prompt("x"), bad).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SessionTest, RejectsBadOptions) {
  SessionOptions o;
  o.context_length = 4;
  EXPECT_EQ(Session::Create(model_, o).status().code(), StatusCode::kInvalidArgument);
  o = SessionOptions{};
  o.batch_size = 0;
  EXPECT_EQ(Session::Create(model_, o).status().code(), StatusCode::kInvalidArgument);
  o = SessionOptions{};
  o.context_length = 0;  // the model's own length
  auto s = Session::Create(model_, o);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->context_length(), 512u);
}

}  // namespace
}  // namespace daulat::engine
