#include "engine/chat_template.h"

#include <gtest/gtest.h>

#include "tiny_model.h"

namespace daulat::engine {
namespace {

class ChatTemplateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = Model::Load(testing::SharedTinyModelPath());
    ASSERT_TRUE(m.ok());
    model_ = *m;
  }
  std::shared_ptr<const Model> model_;
};

TEST_F(ChatTemplateTest, AppliesTheModelsOwnTemplate) {
  auto t = ChatTemplate::ForModel(*model_);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto p = (*t)->Apply({{"system", "Be brief."}, {"user", "Apakah ibu negara Malaysia?"}});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->text,
            "<|im_start|>system\nBe brief.<|im_end|>\n"
            "<|im_start|>user\nApakah ibu negara Malaysia?<|im_end|>\n"
            "<|im_start|>assistant\n");
  auto no_gen = (*t)->Apply({{"user", "hi"}}, /*add_generation_prompt=*/false);
  ASSERT_TRUE(no_gen.ok());
  EXPECT_EQ(no_gen->text, "<|im_start|>user\nhi<|im_end|>\n");
}

TEST_F(ChatTemplateTest, OverrideReplacesTheGgufTemplate) {
  auto t = ChatTemplate::ForModel(*model_,
                                  "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% "
                                  "endfor %}{% if add_generation_prompt %}[assistant]{% endif %}");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto p = (*t)->Apply({{"user", "hi"}, {"assistant", "hello"}, {"user", "bye"}});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->text, "[user] hi\n[assistant] hello\n[user] bye\n[assistant]");
}

TEST_F(ChatTemplateTest, RejectsBadConversationsAndTemplates) {
  auto t = ChatTemplate::ForModel(*model_);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->Apply({}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*t)->Apply({{"wizard", "hi"}}).status().code(), StatusCode::kInvalidArgument);
  auto broken = ChatTemplate::ForModel(*model_, "{% for m in messages %}{{ m.content ");
  EXPECT_EQ(broken.status().code(), StatusCode::kFailedPrecondition);
  auto raising = ChatTemplate::ForModel(*model_, "{{ raise_exception('roles must alternate') }}");
  if (raising.ok()) {
    EXPECT_EQ((*raising)->Apply({{"user", "x"}}).status().code(), StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace daulat::engine
