// Lumin's quality on the evaluation set in bench/rag/eval (documents written
// for it, English and Malay, with tables, a scanned notice and a multi-page
// PDF; questions with the passage that answers them, and questions the
// documents cannot answer). Reports retrieval recall@5 and MRR@10 for BM25,
// vectors and hybrid, then answers every question with the chat model the
// way POST /api/v1/ask does and reports citation correctness and refusal
// accuracy. The anchor is BM25 alone, measured in the same run.
//
//   build/bench/rag/rag_bench --models-dir DATA/models [--chat-model NAME] [--embedding-model NAME]
//                             [--retrieval-only] [--json] [--verbose]
//                             [--speed MODEL...] [--speed-asks N]
//
// --speed times 5-source asks per model (first token and full answer, cold
// and with the system prompt from the prefix cache; see answer_speed.h).

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "answer_speed.h"
#include "engine/chat_template.h"
#include "engine/embedder.h"
#include "engine/model.h"
#include "engine/model_registry.h"
#include "engine/session.h"
#include "eval_set.h"
#include "knowledge/grounded_answer.h"
#include "knowledge/library.h"
#include "store/blob_store.h"
#include "store/database.h"
#include "tiny_model.h"

namespace {

using namespace daulat;
using bench::Question;
using nlohmann::json;

// Each answerable question's rank of its evidence in the top 10 (0 = not
// there), found in the top 5 or not, by category.
struct RetrievalScore {
  double recall5 = 0, mrr = 0, p50_ms = 0;
  std::map<std::string, std::pair<size_t, size_t>> by_category;  // found, asked
  std::vector<std::string> misses;
};

RetrievalScore ScoreRetrieval(knowledge::Library& lib, const knowledge::Reader& reader,
                              const std::vector<Question>& questions, knowledge::Retrieval mode,
                              knowledge::Fusion fusion, double vector_weight, bool verbose) {
  RetrievalScore s;
  std::vector<double> ms;
  size_t n = 0;
  for (const auto& q : questions) {
    if (!q.answerable) continue;
    ++n;
    const auto start = std::chrono::steady_clock::now();
    knowledge::SearchQuery query{q.text, "", 10, mode, fusion};
    query.vector_weight = vector_weight;
    auto hits = lib.Search(reader, query);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
    if (!hits.ok()) {
      std::fprintf(stderr, "rag_bench: %s: %s\n", q.id.c_str(), hits.status().ToString().c_str());
      continue;
    }
    auto& [found, asked] = s.by_category[q.category];
    ++asked;
    for (size_t k = 1; k <= hits->size(); ++k) {
      if (!bench::Found(*hits, q, k)) continue;
      s.mrr += 1.0 / static_cast<double>(k);
      break;
    }
    if (bench::Found(*hits, q, 5)) {
      s.recall5 += 1;
      ++found;
      continue;
    }
    s.misses.push_back(q.id);
    if (verbose) {
      std::fprintf(stderr, "miss %s: %s\n", q.id.c_str(), q.text.c_str());
      for (size_t i = 0; i < hits->size() && i < 5; ++i)
        std::fprintf(stderr, "  %zu %s %.300s\n", i + 1, (*hits)[i].source_name.c_str(),
                     (*hits)[i].text.c_str());
    }
  }
  s.recall5 /= static_cast<double>(std::max<size_t>(n, 1));
  s.mrr /= static_cast<double>(std::max<size_t>(n, 1));
  std::sort(ms.begin(), ms.end());
  s.p50_ms = ms.empty() ? 0 : ms[ms.size() / 2];
  return s;
}

// Each question in the other language (ms <-> en), by `model` at temperature 0.
Result<std::map<std::string, std::string>> Translations(const engine::ModelRegistry& registry,
                                                        const std::string& name,
                                                        const std::vector<Question>& questions) {
  auto installed = registry.Find(name);
  if (!installed.ok()) return installed.status();
  auto model = engine::Model::Load(installed->gguf_path());
  if (!model.ok()) return model.status();
  engine::SessionOptions so;
  so.context_length = 1024;
  auto session = engine::Session::Create(*model, so);
  if (!session.ok()) return session.status();
  auto tmpl = engine::ChatTemplate::ForModel(**model, *installed->ReadChatTemplate());
  if (!tmpl.ok()) return tmpl.status();
  std::map<std::string, std::string> out;
  for (const auto& q : questions) {
    const std::string to = q.lang == "ms" ? "English" : "Malay (Bahasa Melayu)";
    auto rendered =
        (*tmpl)->Apply({{"system", "Translate the user's question into " + to +
                                       ". Reply with the translated question only, nothing else."},
                        {"user", q.text}});
    if (!rendered.ok()) return rendered.status();
    engine::SamplingParams p;
    p.temperature = 0;
    p.max_tokens = 80;
    p.stop = rendered->stops;
    auto t =
        (*session)->Generate((*model)->Tokenize(rendered->text, true, true), p, nullptr, nullptr);
    if (!t.ok()) return t.status();
    std::string text = t->text;
    text.erase(0, std::min(text.find_first_not_of(" \n"), text.size()));
    if (const auto nl = text.find('\n'); nl != std::string::npos) text.resize(nl);
    out[q.id] = text;
  }
  return out;
}

// The question's hits and its translation's, taken in turn by rank.
RetrievalScore ScoreBilingual(knowledge::Library& lib, const knowledge::Reader& reader,
                              const std::vector<Question>& questions,
                              const std::map<std::string, std::string>& translated,
                              knowledge::Retrieval mode, double vector_weight) {
  RetrievalScore s;
  size_t n = 0;
  for (const auto& q : questions) {
    if (!q.answerable) continue;
    ++n;
    std::vector<std::vector<knowledge::SearchHit>> lists;
    for (const auto& text : {q.text, translated.at(q.id)}) {
      if (text.empty()) continue;
      knowledge::SearchQuery query{text, "", 10, mode, knowledge::Fusion::kRelativeScore};
      query.vector_weight = vector_weight;
      auto hits = lib.Search(reader, query);
      if (hits.ok()) lists.push_back(std::move(hits).value());
    }
    std::vector<knowledge::SearchHit> merged;
    for (size_t rank = 0; rank < 10; ++rank) {
      for (const auto& list : lists) {
        if (rank >= list.size()) continue;
        const auto& h = list[rank];
        if (std::none_of(merged.begin(), merged.end(), [&](const auto& m) {
              return m.document_id == h.document_id && m.chunk == h.chunk;
            }))
          merged.push_back(h);
      }
    }
    auto& [found, asked] = s.by_category[q.category];
    ++asked;
    for (size_t k = 1; k <= merged.size(); ++k) {
      if (!bench::Found(merged, q, k)) continue;
      s.mrr += 1.0 / static_cast<double>(k);
      break;
    }
    if (bench::Found(merged, q, 5)) {
      s.recall5 += 1;
      ++found;
    } else {
      s.misses.push_back(q.id);
    }
  }
  s.recall5 /= static_cast<double>(std::max<size_t>(n, 1));
  s.mrr /= static_cast<double>(std::max<size_t>(n, 1));
  return s;
}

double Ratio(size_t a, size_t b) {
  return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
}

// Answer quality over the questions asked, as rag_bench reports it.
struct AnswerScore {
  size_t answerable = 0, answered = 0, cited_right = 0, cited_any = 0, correct = 0;
  size_t unanswerable = 0, refused_right = 0;
  std::map<std::string, std::pair<size_t, size_t>> by_category;  // right, asked
  json wrong = json::array();

  void Add(const Question& q, const knowledge::FinishedAnswer& a,
           const std::vector<knowledge::SearchHit>& hits, const std::string& draft) {
    if (!q.answerable) {
      ++unanswerable;
      if (a.refused) {
        ++refused_right;
      } else {
        wrong.push_back({{"id", q.id}, {"expected", "refusal"}, {"answer", a.answer}});
      }
      return;
    }
    ++answerable;
    ++by_category[q.category].second;
    if (a.refused) {
      wrong.push_back({{"id", q.id},
                       {"category", q.category},
                       {"expected", q.answer},
                       {"answer", "(refused)"},
                       {"draft", draft.substr(0, 400)}});
      return;
    }
    ++answered;
    const bool right_source = std::any_of(a.cited.begin(), a.cited.end(), [&](int n) {
      const auto& hit = hits[static_cast<size_t>(n - 1)];
      return std::any_of(q.evidence.begin(), q.evidence.end(),
                         [&](const auto& e) { return bench::Holds(hit, e); });
    });
    cited_any += a.cited.empty() ? 0 : 1;
    cited_right += right_source ? 1 : 0;
    const bool right = bench::Contains(a.answer, q.answer);
    correct += right ? 1 : 0;
    by_category[q.category].first += right ? 1 : 0;
    if (!right || !right_source)
      wrong.push_back({{"id", q.id},
                       {"expected", q.answer},
                       {"answer", a.answer},
                       {"right_source", right_source}});
  }

  json ToJson(const std::string& model) const {
    json categories;
    for (const auto& [c, ra] : by_category) categories[c] = Ratio(ra.first, ra.second);
    return {{"model", model},
            {"answerable", answerable},
            {"answered", answered},
            {"false_refusal_rate", Ratio(answerable - answered, answerable)},
            {"citation_correctness", Ratio(cited_right, cited_any)},
            {"answer_accuracy", Ratio(correct, answerable)},
            {"accuracy_by_category", categories},
            {"unanswerable", unanswerable},
            {"refusal_accuracy", Ratio(refused_right, unanswerable)},
            {"wrong", wrong}};
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Lumin retrieval and answer quality on the in-repo evaluation set");
  std::string eval_dir = std::string(DAULAT_SOURCE_DIR) + "/bench/rag/eval";
  std::string models_dir, embedding_model = "multilingual-e5-small", chat_model = "gemma3-270m";
  bool retrieval_only = false, as_json = false, verbose = false;
  app.add_option("--eval", eval_dir, "Evaluation set folder (docs/, questions.jsonl)");
  app.add_option("--models-dir", models_dir, "Installed models")->required();
  app.add_option("--embedding-model", embedding_model, "Embedding model");
  app.add_option("--chat-model", chat_model, "Chat model for the answers");
  app.add_flag("--retrieval-only", retrieval_only, "Skip the answers");
  size_t every = 1;
  app.add_option("--answer-every", every,
                 "Answer every k-th question only (a quicker sample on a CPU)")
      ->check(CLI::Range(1, 1000));
  std::string translate_with;
  app.add_option("--translate-with", translate_with,
                 "Also rank each question together with its translation (Malay <-> English) by "
                 "this chat model: bilingual query expansion");
  std::vector<double> weights;
  app.add_option("--vector-weights", weights,
                 "Also rank hybrid with these vector shares (0..1), to tune the default");
  std::vector<std::string> speed_models;
  app.add_option("--speed", speed_models,
                 "Time a 5-source ask with each of these chat models (first token, full answer, "
                 "cold and with the system prompt from the prefix cache)");
  size_t speed_asks = 8;
  app.add_option("--speed-asks", speed_asks, "Questions timed per model")
      ->check(CLI::Range(2, 1000));
  size_t chunk_tokens = knowledge::ChunkOptions{}.target_tokens;
  app.add_option("--chunk-tokens", chunk_tokens, "Chunk size in tokens (overlap is an eighth)")
      ->check(CLI::Range(32, 1024));
  app.add_flag("--json", as_json, "Print JSON");
  app.add_flag("--verbose", verbose, "Show the top passages of each retrieval miss on stderr");
  CLI11_PARSE(app, argc, argv);

  auto loaded = bench::LoadQuestions(eval_dir + "/questions.jsonl");
  if (!loaded.ok() || loaded->empty()) {
    std::fprintf(stderr, "rag_bench: %s\n",
                 loaded.ok() ? "no questions" : loaded.status().ToString().c_str());
    return 1;
  }
  const std::vector<Question> questions = std::move(loaded).value();

  const auto dir = testing::MakeTempDir("rag_bench");
  auto db = store::OpenSqlite((dir / "daulat.db").string());
  auto blobs = store::BlobStore::Open(dir / "blobs");
  if (!db.ok() || !blobs.ok()) return 1;
  auto lib = std::move(knowledge::Library::Open(**db, **blobs)).value();
  const engine::ModelRegistry registry(models_dir);
  auto embedding = registry.Find(embedding_model);
  if (!embedding.ok()) {
    std::fprintf(stderr, "rag_bench: %s\n", embedding.status().ToString().c_str());
    return 1;
  }
  auto emodel = engine::Model::Load(embedding->gguf_path());
  if (!emodel.ok()) return 1;
  engine::EmbedderOptions eoptions;
  eoptions.query_prefix = embedding->manifest.query_prefix;
  eoptions.passage_prefix = embedding->manifest.passage_prefix;
  auto embedder = std::move(engine::Embedder::Create(*emodel, eoptions)).value();
  lib->SetEmbedder(
      embedding_model,
      [&embedder](std::string_view t, knowledge::Library::EmbedAs as) {
        return embedder->Embed(t, as == knowledge::Library::EmbedAs::kQuery
                                      ? engine::EmbedPurpose::kQuery
                                      : engine::EmbedPurpose::kPassage);
      },
      [m = *emodel](std::string_view t) { return m->CountTokens(t); });

  if (!lib->CreateCollection("eval", "eval", "Evaluation set", "").ok()) return 1;
  size_t documents = 0, ocr_pages = 0;
  for (const auto& entry : std::filesystem::directory_iterator(eval_dir + "/docs")) {
    const auto [name, bytes] = bench::Document(entry.path());
    knowledge::DocumentOptions o;
    o.collection = "eval";
    o.source_name = name;
    o.actor = "bench";
    o.chunking.target_tokens = chunk_tokens;
    o.chunking.overlap_tokens = chunk_tokens / 8;
    auto doc = lib->AddDocument(knowledge::OperatorReader("eval"), bytes, o);
    if (!doc.ok()) {
      std::fprintf(stderr, "rag_bench: %s: %s\n", name.c_str(), doc.status().ToString().c_str());
      return 1;
    }
    ++documents;
    ocr_pages += doc->ocr_pages.size();
  }
  const knowledge::Reader reader{"eval", Classification::kTerbuka, {}};
  json report = {
      {"documents", documents}, {"ocr_pages", ocr_pages}, {"questions", questions.size()}};
  using knowledge::Fusion;
  using knowledge::Retrieval;
  std::vector<std::tuple<std::string, Retrieval, Fusion, double>> modes = {
      {"bm25", Retrieval::kText, Fusion::kRelativeScore, knowledge::kDefaultVectorWeight},
      {"vector", Retrieval::kVector, Fusion::kRelativeScore, knowledge::kDefaultVectorWeight},
      {"hybrid", Retrieval::kHybrid, Fusion::kRelativeScore, knowledge::kDefaultVectorWeight},
      {"hybrid-rrf", Retrieval::kHybrid, Fusion::kReciprocalRank, knowledge::kDefaultVectorWeight}};
  for (const double w : weights) {
    char name[32];
    std::snprintf(name, sizeof(name), "hybrid-w%.2f", w);
    modes.emplace_back(name, Retrieval::kHybrid, Fusion::kRelativeScore, w);
  }
  if (!translate_with.empty()) {
    auto translated = Translations(registry, translate_with, questions);
    if (!translated.ok()) {
      std::fprintf(stderr, "rag_bench: %s\n", translated.status().ToString().c_str());
      return 1;
    }
    for (const auto& [name, mode, fusion, weight] : std::vector(modes)) {
      if (name == "hybrid-rrf") continue;
      const auto s = ScoreBilingual(*lib, reader, questions, *translated, mode, weight);
      json categories;
      for (const auto& [c, fa] : s.by_category) categories[c] = Ratio(fa.first, fa.second);
      report["retrieval"][name + "+tr"] = {{"recall_at_5", s.recall5},
                                           {"mrr_at_10", s.mrr},
                                           {"p50_ms", s.p50_ms},
                                           {"misses", s.misses},
                                           {"by_category", categories}};
    }
    for (const auto& [name, mode, fusion, weight] : std::vector(modes))
      if (name != "hybrid-rrf") modes.emplace_back(name + "+tr", mode, fusion, weight);
  }
  for (const auto& [name, mode, fusion, weight] : modes) {
    if (name.ends_with("+tr")) continue;
    const auto s = ScoreRetrieval(*lib, reader, questions, mode, fusion, weight, verbose);
    json categories;
    for (const auto& [c, fa] : s.by_category) categories[c] = Ratio(fa.first, fa.second);
    report["retrieval"][name] = {{"recall_at_5", s.recall5},
                                 {"mrr_at_10", s.mrr},
                                 {"p50_ms", s.p50_ms},
                                 {"misses", s.misses},
                                 {"by_category", categories}};
  }

  if (!speed_models.empty()) {
    // The first answerable questions, with their hybrid top 5, as the server builds the ask.
    std::vector<bench::AskPrompt> asks;
    for (const Question& q : questions) {
      if (!q.answerable || asks.size() == speed_asks) continue;
      auto hits = lib->Search(reader, {q.text, "", 5});
      if (!hits.ok() || hits->size() < 5) continue;
      const auto prompt = knowledge::BuildGroundedPrompt(q.text, *hits, q.lang);
      asks.push_back({prompt.system, prompt.user});
    }
    for (const auto& m : speed_models) {
      auto speed = bench::MeasureAnswerSpeed(registry, m, asks, 200);
      if (!speed.ok()) {
        std::fprintf(stderr, "rag_bench: %s: %s\n", m.c_str(), speed.status().ToString().c_str());
        return 1;
      }
      report["speed"].push_back(*speed);
    }
  }

  if (!retrieval_only) {
    auto installed = registry.Find(chat_model);
    if (!installed.ok()) {
      std::fprintf(stderr, "rag_bench: %s\n", installed.status().ToString().c_str());
      return 1;
    }
    auto model = std::move(engine::Model::Load(installed->gguf_path())).value();
    engine::SessionOptions so;
    so.context_length = 4096;
    auto session = std::move(engine::Session::Create(model, so)).value();
    auto tmpl =
        std::move(engine::ChatTemplate::ForModel(*model, *installed->ReadChatTemplate())).value();
    AnswerScore plain, checked;
    const auto generate = [&](const knowledge::GroundedPrompt& prompt, int max_tokens) {
      auto rendered =
          std::move(tmpl->Apply({{"system", prompt.system}, {"user", prompt.user}})).value();
      engine::SamplingParams p;
      p.temperature = 0;
      p.max_tokens = max_tokens;
      p.stop = rendered.stops;
      p.stop.insert(p.stop.end(), installed->manifest.stop.begin(), installed->manifest.stop.end());
      const auto& grounded = knowledge::GroundedStops();
      p.stop.insert(p.stop.end(), grounded.begin(), grounded.end());
      auto out = session->Generate(model->Tokenize(rendered.text, true, true), p, nullptr, nullptr);
      std::string text = out.ok() ? out->text : "";
      text.erase(0, std::min(text.find_first_not_of(" \n"), text.size()));
      return text;
    };
    for (size_t qi = 0; qi < questions.size(); qi += every) {
      const Question& q = questions[qi];
      auto hits = std::move(lib->Search(reader, {q.text, "", 5})).value();
      std::string draft;
      if (!hits.empty())
        draft = generate(knowledge::BuildGroundedPrompt(q.text, hits, q.lang), 400);
      const auto a = knowledge::FinishAnswer(draft, !hits.empty(), hits, q.lang, q.text);
      plain.Add(q, a, hits, draft);
      auto b = a;
      if (!a.refused && !a.cited.empty() &&
          knowledge::SupportVerdict(
              generate(knowledge::BuildSupportCheckPrompt(q.text, a, hits), 3)) == false)
        knowledge::RefuseUnsupported(b, q.lang);
      checked.Add(q, b, hits, draft);
    }
    report["answers"] = plain.ToJson(chat_model);
    report["answers_checked"] = checked.ToJson(chat_model);
  }
  std::filesystem::remove_all(dir);

  if (as_json) {
    std::puts(report.dump(2).c_str());
    return 0;
  }
  std::printf("Lumin evaluation set: %zu documents (%zu OCR pages), %zu questions\n\n", documents,
              ocr_pages, questions.size());
  std::printf("%-10s %10s %10s %10s\n", "index", "recall@5", "MRR@10", "p50 ms");
  for (const auto& [name, mode, fusion, weight] : modes) {
    const auto& r = report["retrieval"][name];
    std::printf("%-10s %10.3f %10.3f %10.2f   misses: %s\n", name.c_str(),
                r["recall_at_5"].get<double>(), r["mrr_at_10"].get<double>(),
                r["p50_ms"].get<double>(), r["misses"].dump().c_str());
  }
  // Recall@5 by category; fusion must never be worse than the better single list.
  std::printf("\nrecall@5 by category     bm25  vector  hybrid   hybrid >= best single\n");
  bool fusion_ok = true;
  for (const auto& [category, v] : report["retrieval"]["hybrid"]["by_category"].items()) {
    const double bm25 = report["retrieval"]["bm25"]["by_category"].value(category, 0.0);
    const double vector = report["retrieval"]["vector"]["by_category"].value(category, 0.0);
    const double hybrid = v.get<double>();
    const bool ok = hybrid + 1e-9 >= std::max(bm25, vector);
    fusion_ok = fusion_ok && ok;
    std::printf("  %-20s %7.3f %7.3f %7.3f   %s\n", category.c_str(), bm25, vector, hybrid,
                ok ? "yes" : "NO");
  }
  const double hybrid = report["retrieval"]["hybrid"]["recall_at_5"];
  std::printf(
      "\nhybrid recall@5 %.3f (target >= 0.95, every category >= 0.9); fusion never "
      "worse than the better list: %s\n",
      hybrid, fusion_ok ? "yes" : "NO");
  if (report.contains("speed")) {
    std::printf(
        "\n5-source ask, one at a time (ms, p50; cold = no prefix cache, warm = system prompt "
        "from the prefix cache)\n%-30s %8s %8s %8s %8s %8s %7s %7s\n",
        "model", "prompt", "reused", "1st cold", "1st warm", "cold/wrm", "full", "tok/s");
    for (const auto& m : report["speed"]) {
      std::printf("%-30s %8.0f %8.0f %8.0f %8.0f %8.2f %7.0f %7.1f\n",
                  m["model"].get<std::string>().c_str(),
                  m["warm"]["prompt_tokens_mean"].get<double>(),
                  m["warm"]["reused_prompt_tokens_mean"].get<double>(),
                  m["cold"]["first_token_ms_p50"].get<double>(),
                  m["warm"]["first_token_ms_p50"].get<double>(),
                  m["first_token_cold_over_warm"].get<double>(),
                  m["warm"]["full_answer_ms_p50"].get<double>(),
                  m["warm"]["generation_tokens_per_s"].get<double>());
    }
  }
  for (const char* key : {"answers", "answers_checked"}) {
    if (!report.contains(key)) continue;
    const auto& a = report[key];
    std::printf("\nanswers by %s (hybrid, top 5)%s:\n", chat_model.c_str(),
                std::string_view(key) == "answers" ? "" : ", with the support check");
    std::printf("  refusal accuracy on unanswerable: %.3f (target >= 0.9)\n",
                a["refusal_accuracy"].get<double>());
    std::printf("  false refusals on answerable:     %.3f (target <= 0.1)\n",
                a["false_refusal_rate"].get<double>());
    std::printf("  citation correctness:             %.3f (target >= 0.9, of answers that cite)\n",
                a["citation_correctness"].get<double>());
    std::printf(
        "  answer accuracy:                  %.3f (target >= 0.8; expected value in the answer)\n",
        a["answer_accuracy"].get<double>());
    for (const auto& [category, v] : a["accuracy_by_category"].items())
      std::printf("    %-20s %.3f\n", category.c_str(), v.get<double>());
    for (const auto& w : a["wrong"]) std::printf("    %s\n", w.dump().c_str());
  }
  return 0;
}
