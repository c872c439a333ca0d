// Lumin's quality on the evaluation set in bench/rag/eval (documents written
// for it, English and Malay, with tables, a scanned notice and a multi-page
// PDF; questions with the passage that answers them, and questions the
// documents cannot answer). Reports retrieval recall@5 and MRR@10 for BM25,
// vectors and hybrid, then answers every question with the chat model the
// way POST /api/v1/ask does and reports citation correctness and refusal
// accuracy. The anchor is BM25 alone, measured in the same run.
//
//   build/bench/rag/rag_bench --models-dir .cache/test-data/models [--retrieval-only] [--json]

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/chat_template.h"
#include "engine/embedder.h"
#include "engine/model.h"
#include "engine/model_registry.h"
#include "engine/session.h"
#include "knowledge/grounded_answer.h"
#include "knowledge/library.h"
#include "store/blob_store.h"
#include "store/database.h"
#include "test_documents.h"
#include "tiny_model.h"

namespace {

using namespace daulat;
using nlohmann::json;

struct Question {
  std::string id, lang, text, doc, passage, answer;
  bool answerable = true;
};

std::string Normalized(std::string_view s) {
  std::string out;
  bool space = false;
  for (const char c : s) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Lines of at most `width` bytes, broken between words: text beyond the
// page's edge would not be part of the PDF's text.
std::string Wrapped(const std::string& text, size_t width) {
  std::string out, line;
  std::istringstream lines(text);
  for (std::string in; std::getline(lines, in);) {
    std::istringstream words(in);
    line.clear();
    for (std::string w; words >> w;) {
      if (!line.empty() && line.size() + 1 + w.size() > width) {
        out += line + "\n";
        line.clear();
      }
      line += (line.empty() ? "" : " ") + w;
    }
    out += line + "\n";
  }
  return out;
}

// The name a document is ingested under: "x.scanned.txt" becomes a scanned
// PDF "x.pdf", "x.pdf.txt" a text PDF (pages split at form feeds).
std::pair<std::string, std::string> Document(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  const std::string name = path.filename().string();
  const auto strip = [&](const std::string& suffix) {
    return name.substr(0, name.size() - suffix.size()) + ".pdf";
  };
  if (name.ends_with(".scanned.txt"))
    return {strip(".scanned.txt"), testing::MakeScannedPdf(Wrapped(text, 80))};
  if (name.ends_with(".pdf.txt")) {
    std::vector<std::string> pages;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t ff = text.find('\f', pos);
      if (ff == std::string::npos) ff = text.size();
      std::string page = text.substr(pos, ff - pos);
      while (!page.empty() && page.back() == '\n') page.pop_back();
      if (!page.empty()) pages.push_back(Wrapped(page, 80));
      pos = ff + 1;
    }
    return {strip(".pdf.txt"), testing::MakePdf(pages)};
  }
  return {name, text};
}

std::string IngestedName(const std::string& doc) {
  if (doc.ends_with(".scanned.txt")) return doc.substr(0, doc.size() - 12) + ".pdf";
  if (doc.ends_with(".pdf.txt")) return doc.substr(0, doc.size() - 8) + ".pdf";
  return doc;
}

bool Relevant(const knowledge::SearchHit& h, const Question& q) {
  return h.source_name == IngestedName(q.doc) &&
         Normalized(h.text).find(Normalized(q.passage)) != std::string::npos;
}

struct RetrievalScore {
  double recall5 = 0, mrr = 0, p50_ms = 0;
  std::vector<std::string> misses;
};

RetrievalScore ScoreRetrieval(knowledge::Library& lib, const knowledge::Reader& reader,
                              const std::vector<Question>& questions, knowledge::Retrieval mode,
                              knowledge::Fusion fusion, bool verbose) {
  RetrievalScore s;
  std::vector<double> ms;
  size_t n = 0;
  for (const auto& q : questions) {
    if (!q.answerable) continue;
    ++n;
    const auto start = std::chrono::steady_clock::now();
    auto hits = lib.Search(reader, {q.text, "", 10, mode, fusion});
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
    if (!hits.ok()) {
      std::fprintf(stderr, "rag_bench: %s: %s\n", q.id.c_str(), hits.status().ToString().c_str());
      continue;
    }
    for (size_t rank = 0; rank < hits->size(); ++rank) {
      if (!Relevant((*hits)[rank], q)) continue;
      if (rank < 5) s.recall5 += 1;
      s.mrr += 1.0 / static_cast<double>(rank + 1);
      break;
    }
    const auto top5 = static_cast<std::ptrdiff_t>(std::min<size_t>(5, hits->size()));
    if (std::none_of(hits->begin(), hits->begin() + top5,
                     [&](const auto& h) { return Relevant(h, q); })) {
      s.misses.push_back(q.id);
      if (verbose) {
        std::fprintf(stderr, "miss %s: %s\n", q.id.c_str(), q.text.c_str());
        for (size_t i = 0; i < hits->size() && i < 5; ++i)
          std::fprintf(stderr, "  %zu %s %.400s\n", i + 1, (*hits)[i].source_name.c_str(),
                       Normalized((*hits)[i].text).c_str());
      }
    }
  }
  s.recall5 /= static_cast<double>(std::max<size_t>(n, 1));
  s.mrr /= static_cast<double>(std::max<size_t>(n, 1));
  std::sort(ms.begin(), ms.end());
  s.p50_ms = ms.empty() ? 0 : ms[ms.size() / 2];
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Lumin retrieval and answer quality on the in-repo evaluation set");
  std::string eval_dir = std::string(DAULAT_SOURCE_DIR) + "/bench/rag/eval";
  std::string models_dir, embedding_model = "all-minilm-l6-v2", chat_model = "gemma3-270m";
  bool retrieval_only = false, as_json = false, verbose = false;
  app.add_option("--eval", eval_dir, "Evaluation set folder (docs/, questions.jsonl)");
  app.add_option("--models-dir", models_dir, "Installed models")->required();
  app.add_option("--embedding-model", embedding_model, "Embedding model");
  app.add_option("--chat-model", chat_model, "Chat model for the answers");
  app.add_flag("--retrieval-only", retrieval_only, "Skip the answers");
  app.add_flag("--json", as_json, "Print JSON");
  app.add_flag("--verbose", verbose, "Show the top passages of each retrieval miss on stderr");
  CLI11_PARSE(app, argc, argv);

  std::vector<Question> questions;
  std::ifstream qin(eval_dir + "/questions.jsonl");
  for (std::string line; std::getline(qin, line);) {
    if (line.empty()) continue;
    const json j = json::parse(line);
    questions.push_back({j.at("id"), j.at("lang"), j.at("question"), j.value("doc", ""),
                         j.value("passage", ""), j.value("answer", ""),
                         j.value("answerable", true)});
  }
  if (questions.empty()) {
    std::fprintf(stderr, "rag_bench: no questions in %s\n", eval_dir.c_str());
    return 1;
  }

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
    const auto [name, bytes] = Document(entry.path());
    knowledge::DocumentOptions o;
    o.collection = "eval";
    o.source_name = name;
    o.actor = "bench";
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
  const std::vector<std::tuple<std::string, Retrieval, Fusion>> modes = {
      {"bm25", Retrieval::kText, Fusion::kRelativeScore},
      {"vector", Retrieval::kVector, Fusion::kRelativeScore},
      {"hybrid", Retrieval::kHybrid, Fusion::kRelativeScore},
      {"hybrid-rrf", Retrieval::kHybrid, Fusion::kReciprocalRank}};
  for (const auto& [name, mode, fusion] : modes) {
    const auto s = ScoreRetrieval(*lib, reader, questions, mode, fusion, verbose);
    report["retrieval"][name] = {{"recall_at_5", s.recall5},
                                 {"mrr_at_10", s.mrr},
                                 {"p50_ms", s.p50_ms},
                                 {"misses", s.misses}};
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
    size_t answerable = 0, answered = 0, cited_right = 0, cited_any = 0, correct = 0;
    size_t unanswerable = 0, refused_right = 0;
    json wrong = json::array();
    for (const auto& q : questions) {
      auto hits = std::move(lib->Search(reader, {q.text, "", 5})).value();
      std::string draft;
      if (!hits.empty()) {
        const auto prompt = knowledge::BuildGroundedPrompt(q.text, hits, q.lang);
        auto rendered =
            std::move(tmpl->Apply({{"system", prompt.system}, {"user", prompt.user}})).value();
        engine::SamplingParams p;
        p.temperature = 0;
        p.max_tokens = 400;
        p.stop = rendered.stops;
        p.stop.insert(p.stop.end(), installed->manifest.stop.begin(),
                      installed->manifest.stop.end());
        const auto& grounded = knowledge::GroundedStops();
        p.stop.insert(p.stop.end(), grounded.begin(), grounded.end());
        auto out =
            session->Generate(model->Tokenize(rendered.text, true, true), p, nullptr, nullptr);
        if (out.ok()) draft = out->text;
        draft.erase(0, std::min(draft.find_first_not_of(" \n"), draft.size()));
      }
      const auto a = knowledge::FinishAnswer(draft, !hits.empty(), hits, q.lang, q.text);
      if (!q.answerable) {
        ++unanswerable;
        if (a.refused) {
          ++refused_right;
        } else {
          wrong.push_back({{"id", q.id}, {"expected", "refusal"}, {"answer", a.answer}});
        }
        continue;
      }
      ++answerable;
      if (a.refused) {
        wrong.push_back({{"id", q.id}, {"expected", q.answer}, {"answer", "(refused)"}});
        continue;
      }
      ++answered;
      const bool right_source = std::any_of(a.cited.begin(), a.cited.end(), [&](int n) {
        return Relevant(hits[static_cast<size_t>(n - 1)], q);
      });
      cited_any += a.cited.empty() ? 0 : 1;
      cited_right += right_source ? 1 : 0;
      const bool right = Normalized(a.answer).find(Normalized(q.answer)) != std::string::npos;
      correct += right ? 1 : 0;
      if (!right || !right_source)
        wrong.push_back({{"id", q.id},
                         {"expected", q.answer},
                         {"answer", a.answer},
                         {"right_source", right_source}});
    }
    const auto ratio = [](size_t a, size_t b) {
      return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
    };
    report["answers"] = {{"model", chat_model},
                         {"answerable", answerable},
                         {"answered", answered},
                         {"false_refusal_rate", ratio(answerable - answered, answerable)},
                         {"citation_correctness", ratio(cited_right, cited_any)},
                         {"answer_accuracy", ratio(correct, answerable)},
                         {"unanswerable", unanswerable},
                         {"refusal_accuracy", ratio(refused_right, unanswerable)},
                         {"wrong", wrong}};
  }
  std::filesystem::remove_all(dir);

  if (as_json) {
    std::puts(report.dump(2).c_str());
    return 0;
  }
  std::printf("Lumin evaluation set: %zu documents (%zu OCR pages), %zu questions\n\n", documents,
              ocr_pages, questions.size());
  std::printf("%-10s %10s %10s %10s\n", "index", "recall@5", "MRR@10", "p50 ms");
  for (const auto& [name, mode, fusion] : modes) {
    const auto& r = report["retrieval"][name];
    std::printf("%-10s %10.3f %10.3f %10.2f   misses: %s\n", name.c_str(),
                r["recall_at_5"].get<double>(), r["mrr_at_10"].get<double>(),
                r["p50_ms"].get<double>(), r["misses"].dump().c_str());
  }
  const double hybrid = report["retrieval"]["hybrid"]["recall_at_5"];
  const double bm25 = report["retrieval"]["bm25"]["recall_at_5"];
  std::printf(
      "\nhybrid / bm25 recall@5: %.3f (target >= 1.0); hybrid recall@5 %.3f (target >= 0.9)\n",
      bm25 > 0 ? hybrid / bm25 : 0.0, hybrid);
  if (report.contains("answers")) {
    const auto& a = report["answers"];
    std::printf("\nanswers by %s (hybrid, top 5):\n", chat_model.c_str());
    std::printf("  refusal accuracy on unanswerable: %.3f (target >= 0.9)\n",
                a["refusal_accuracy"].get<double>());
    std::printf("  false refusals on answerable:     %.3f\n",
                a["false_refusal_rate"].get<double>());
    std::printf("  citation correctness:             %.3f (of answers that cite)\n",
                a["citation_correctness"].get<double>());
    std::printf("  answer accuracy:                  %.3f (expected value in the answer)\n",
                a["answer_accuracy"].get<double>());
    for (const auto& w : a["wrong"]) std::printf("    %s\n", w.dump().c_str());
  }
  return 0;
}
