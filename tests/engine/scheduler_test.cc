#include "engine/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "tiny_model.h"

namespace daulat::engine {
namespace {

// Collects a request's updates; Wait() returns once the final one arrives.
struct Collector {
  std::mutex mu;
  std::string text;
  std::vector<std::string> pieces;
  InferenceUpdate final_update;
  std::promise<void> done;
  std::shared_future<void> finished = done.get_future().share();

  UpdateSink Sink() {
    return [this](InferenceUpdate&& u) {
      std::lock_guard lock(mu);
      text += u.text;
      if (!u.text.empty()) pieces.push_back(u.text);
      if (u.finished) {
        final_update = std::move(u);
        done.set_value();
      }
    };
  }
  bool Wait(int seconds = 60) {
    return finished.wait_for(std::chrono::seconds(seconds)) == std::future_status::ready;
  }
};

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = Model::Load(testing::SharedTinyModelPath());
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = *m;
  }
  std::unique_ptr<Scheduler> Start(uint32_t parallel = 4, size_t max_queue = 64, uint32_t step = 64,
                                   const Clock* clock = nullptr) {
    SchedulerOptions o;
    o.clock = clock;
    o.parallel = parallel;
    o.context_length = 512 * parallel;
    o.step_tokens = step;
    o.max_queue = max_queue;
    o.threads = 1;
    auto s = Scheduler::Start(model_, o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  InferenceRequest Request(const std::string& text, int max_tokens,
                           const std::string& partition = "p") {
    InferenceRequest r;
    r.partition = partition;
    r.prompt = model_->Tokenize(text, true, false);
    r.params.temperature = 0;
    r.params.max_tokens = max_tokens;
    r.params.ignore_eos = true;
    return r;
  }
  std::string SessionAnswer(const std::string& text, int max_tokens) {
    SessionOptions o;
    o.context_length = 512;
    o.threads = 1;
    auto s = Session::Create(model_, o);
    SamplingParams p;
    p.temperature = 0;
    p.max_tokens = max_tokens;
    p.ignore_eos = true;
    auto r = (*s)->Generate(model_->Tokenize(text, true, false), p);
    return r.ok() ? r->text : "<error>";
  }
  std::shared_ptr<const Model> model_;
};

TEST_F(SchedulerTest, SingleRequestMatchesTheSessionEngine) {
  auto s = Start();
  Collector c;
  ASSERT_TRUE(s->Submit(Request("Apakah ibu negara Malaysia?", 16), c.Sink()).ok());
  ASSERT_TRUE(c.Wait());
  EXPECT_TRUE(c.final_update.status.ok());
  EXPECT_EQ(c.final_update.finish_reason, FinishReason::kLength);
  EXPECT_EQ(c.final_update.stats.completion_tokens, 16u);
  EXPECT_EQ(c.text, SessionAnswer("Apakah ibu negara Malaysia?", 16));
}

TEST_F(SchedulerTest, ManyConcurrentRequestsAllCompleteWithTheirOwnAnswers) {
  auto s = Start(/*parallel=*/3);
  const std::vector<std::string> prompts = {"satu",        "dua tiga",  "empat lima enam",
                                            "吉隆坡",      "மலேசியா",   "Kuala Lumpur is",
                                            "the capital", "ibu negara"};
  std::vector<std::unique_ptr<Collector>> cs;
  for (const auto& p : prompts) {
    cs.push_back(std::make_unique<Collector>());
    ASSERT_TRUE(s->Submit(Request(p, 12, p), cs.back()->Sink()).ok());
  }
  for (size_t i = 0; i < prompts.size(); ++i) {
    ASSERT_TRUE(cs[i]->Wait()) << prompts[i];
    EXPECT_EQ(cs[i]->final_update.stats.completion_tokens, 12u);
    EXPECT_EQ(cs[i]->text, SessionAnswer(prompts[i], 12)) << prompts[i];
  }
  const auto st = s->stats();
  EXPECT_EQ(st.requests_total, prompts.size());
  EXPECT_EQ(st.active, 0u);
  EXPECT_EQ(st.completion_tokens_total, 12u * prompts.size());
}

TEST_F(SchedulerTest, LongPromptsArePrefilledInChunksWithoutStallingStreams) {
  auto s = Start(/*parallel=*/2, 64, /*step=*/16);
  std::string long_text;
  for (int i = 0; i < 60; ++i) long_text += "panjang ";
  const auto long_request = Request(long_text, 4);
  const size_t prefill_steps = long_request.prompt.size() / 16;
  ASSERT_GE(prefill_steps, 6u);
  Collector streaming, long_prompt;
  // Updates arrive on the scheduler's one thread: how many the stream had
  // when the long prompt's first token came out is how many steps it kept
  // decoding while the long prompt was prefilled.
  std::atomic<int> streamed{0};
  std::atomic<int> streamed_before_long{-1};
  auto stream_sink = streaming.Sink();
  auto long_sink = long_prompt.Sink();
  ASSERT_TRUE(s->Submit(Request("short", 40), [&, stream_sink](InferenceUpdate&& u) mutable {
                 if (!u.text.empty()) ++streamed;
                 stream_sink(std::move(u));
               }).ok());
  ASSERT_TRUE(s->Submit(long_request, [&, long_sink](InferenceUpdate&& u) mutable {
                 int none = -1;
                 streamed_before_long.compare_exchange_strong(none, streamed.load());
                 long_sink(std::move(u));
               }).ok());
  ASSERT_TRUE(streaming.Wait() && long_prompt.Wait());
  // Prefilled in one go, the long prompt would have held the stream for all
  // its steps: it got at most one token out meanwhile.
  EXPECT_GE(streamed_before_long.load(), static_cast<int>(prefill_steps) / 2)
      << "the stream stalled while " << long_request.prompt.size() << " prompt tokens were read";
  EXPECT_EQ(streaming.text, SessionAnswer("short", 40));
  EXPECT_EQ(long_prompt.text, SessionAnswer(long_text, 4));
}

TEST_F(SchedulerTest, PrefixCacheIsReusedOnlyWithinAPartition) {
  auto s = Start(/*parallel=*/2);
  const std::string system = "You are a careful assistant for the Ministry. Answer briefly. ";
  Collector a1, a2, b1;
  ASSERT_TRUE(s->Submit(Request(system + "Question one?", 4, "tenant-a"), a1.Sink()).ok());
  ASSERT_TRUE(a1.Wait());
  EXPECT_EQ(a1.final_update.stats.reused_prompt_tokens, 0u);
  // Another tenant with the very same prefix recomputes it from scratch.
  ASSERT_TRUE(s->Submit(Request(system + "Question two?", 4, "tenant-b"), b1.Sink()).ok());
  ASSERT_TRUE(b1.Wait());
  EXPECT_EQ(b1.final_update.stats.reused_prompt_tokens, 0u);
  // The same tenant reuses its own cached prefix, and the answer is unchanged.
  ASSERT_TRUE(s->Submit(Request(system + "Question two?", 4, "tenant-a"), a2.Sink()).ok());
  ASSERT_TRUE(a2.Wait());
  EXPECT_GT(a2.final_update.stats.reused_prompt_tokens, 10u);
  EXPECT_EQ(a2.text, b1.text);
  EXPECT_EQ(a2.text, SessionAnswer(system + "Question two?", 4));
}

TEST_F(SchedulerTest, SharedPrefixIsCopiedFromAnotherSlot) {
  auto s = Start(/*parallel=*/2);
  const std::string system = "Shared instructions that every request of this tenant starts with. ";
  Collector first, busy, second;
  // Keep slot A busy so the next request lands in the other slot.
  ASSERT_TRUE(s->Submit(Request(system + "first", 4, "t"), first.Sink()).ok());
  ASSERT_TRUE(first.Wait());
  ASSERT_TRUE(s->Submit(Request("unrelated long running", 200, "other"), busy.Sink()).ok());
  ASSERT_TRUE(s->Submit(Request(system + "second", 4, "t"), second.Sink()).ok());
  ASSERT_TRUE(second.Wait());
  EXPECT_GT(second.final_update.stats.reused_prompt_tokens, 10u);
  EXPECT_EQ(second.text, SessionAnswer(system + "second", 4));
  ASSERT_TRUE(busy.Wait());
}

TEST_F(SchedulerTest, CancelStopsARunningRequestAndFreesItsSlot) {
  auto s = Start(/*parallel=*/1);
  Collector c;
  auto ticket = s->Submit(Request("go on forever", -1), c.Sink());
  ASSERT_TRUE(ticket.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  (*ticket)->Cancel();
  ASSERT_TRUE(c.Wait());
  EXPECT_EQ(c.final_update.finish_reason, FinishReason::kCancelled);
  Collector next;
  ASSERT_TRUE(s->Submit(Request("next", 3), next.Sink()).ok());
  ASSERT_TRUE(next.Wait());
  EXPECT_EQ(next.final_update.stats.completion_tokens, 3u);
}

TEST_F(SchedulerTest, FullQueueRefusesWithResourceExhausted) {
  auto s = Start(/*parallel=*/1, /*max_queue=*/2);
  std::vector<std::unique_ptr<Collector>> cs;
  std::vector<std::shared_ptr<InferenceTicket>> tickets;
  int refused = 0;
  for (int i = 0; i < 6; ++i) {
    cs.push_back(std::make_unique<Collector>());
    auto t = s->Submit(Request("busy " + std::to_string(i), 200), cs.back()->Sink());
    if (t.ok()) {
      tickets.push_back(*t);
    } else {
      EXPECT_EQ(t.status().code(), StatusCode::kResourceExhausted);
      ++refused;
      cs.pop_back();
    }
  }
  EXPECT_GE(refused, 3);
  for (auto& t : tickets) t->Cancel();
  for (auto& c : cs) ASSERT_TRUE(c->Wait());
}

// Deadlines run on the injected clock: a request ends when that clock passes
// its timeout, and real time passing does nothing.
TEST_F(SchedulerTest, DeadlineEndsTheRequest) {
  ManualClock clock(1'000);
  auto s = Start(/*parallel=*/1, 64, 64, &clock);
  Collector in_time;
  auto short_one = Request("quick", 4);
  short_one.timeout_seconds = 1;
  ASSERT_TRUE(s->Submit(std::move(short_one), in_time.Sink()).ok());
  ASSERT_TRUE(in_time.Wait());
  EXPECT_TRUE(in_time.final_update.status.ok()) << in_time.final_update.status.ToString();
  Collector late;
  auto r = Request("slow", -1);
  r.timeout_seconds = 1;
  ASSERT_TRUE(s->Submit(std::move(r), late.Sink()).ok());
  clock.Advance(2);
  ASSERT_TRUE(late.Wait());
  EXPECT_EQ(late.final_update.status.code(), StatusCode::kDeadlineExceeded);
}

TEST_F(SchedulerTest, StopWithoutDrainCancelsEverythingAndRefusesNewWork) {
  auto s = Start(/*parallel=*/1);
  Collector running, queued;
  ASSERT_TRUE(s->Submit(Request("one", -1), running.Sink()).ok());
  ASSERT_TRUE(s->Submit(Request("two", -1), queued.Sink()).ok());
  s->Stop(/*drain=*/false);
  ASSERT_TRUE(running.Wait(5) && queued.Wait(5));
  EXPECT_EQ(running.final_update.finish_reason, FinishReason::kCancelled);
  EXPECT_EQ(queued.final_update.finish_reason, FinishReason::kCancelled);
  Collector late;
  EXPECT_EQ(s->Submit(Request("late", 2), late.Sink()).status().code(), StatusCode::kUnavailable);
}

TEST_F(SchedulerTest, StopWithDrainFinishesInFlightWork) {
  auto s = Start(/*parallel=*/1);
  Collector a, b;
  ASSERT_TRUE(s->Submit(Request("one", 5), a.Sink()).ok());
  ASSERT_TRUE(s->Submit(Request("two", 5), b.Sink()).ok());
  s->Stop(/*drain=*/true);
  ASSERT_TRUE(a.Wait(1) && b.Wait(1));
  EXPECT_EQ(a.final_update.stats.completion_tokens, 5u);
  EXPECT_EQ(b.final_update.stats.completion_tokens, 5u);
}

TEST_F(SchedulerTest, RejectsBadRequestsAndOptions) {
  auto s = Start(/*parallel=*/2);
  Collector c;
  InferenceRequest empty;
  EXPECT_EQ(s->Submit(empty, c.Sink()).status().code(), StatusCode::kInvalidArgument);
  std::string huge;
  for (int i = 0; i < 700; ++i) huge += "kata ";
  EXPECT_EQ(s->Submit(Request(huge, 4), c.Sink()).status().code(), StatusCode::kInvalidArgument);
  auto bad = Request("x", 4);
  bad.params.top_p = 5;
  EXPECT_EQ(s->Submit(bad, c.Sink()).status().code(), StatusCode::kInvalidArgument);
  auto bad_grammar = Request("x", 4);
  bad_grammar.params.grammar = "root ::= (";
  EXPECT_EQ(s->Submit(bad_grammar, c.Sink()).status().code(), StatusCode::kInvalidArgument);
  SchedulerOptions o;
  o.parallel = 0;
  EXPECT_EQ(Scheduler::Start(model_, o).status().code(), StatusCode::kInvalidArgument);
  o = SchedulerOptions{};
  o.parallel = 8;
  o.step_tokens = 4;
  EXPECT_EQ(Scheduler::Start(model_, o).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SchedulerTest, GrammarConstrainsTheOutput) {
  auto s = Start(/*parallel=*/1);
  Collector c;
  auto r = Request("Answer yes or no:", 8);
  r.params.grammar = R"(root ::= "ya" | "tidak")";
  r.params.ignore_eos = false;
  ASSERT_TRUE(s->Submit(std::move(r), c.Sink()).ok());
  ASSERT_TRUE(c.Wait());
  EXPECT_TRUE(c.text == "ya" || c.text == "tidak") << c.text;
  EXPECT_EQ(c.final_update.finish_reason, FinishReason::kStop);
}

}  // namespace
}  // namespace daulat::engine
