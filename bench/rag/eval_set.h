#pragma once

// The evaluation set in bench/rag/eval: documents in docs/ (some converted
// on the way in, see Document) and questions.jsonl.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "knowledge/library.h"

namespace daulat::bench {

// Where the answer is: a document and an exact piece of its text.
struct Evidence {
  std::string doc, passage;
};

struct Question {
  std::string id, lang, category, text, answer;
  std::vector<Evidence> evidence;  // all of them are needed (several for multi-hop)
  bool answerable = true;
};

// Every question, its category from "category" (or "unanswerable").
// INVALID_ARGUMENT naming the line for a malformed one.
Result<std::vector<Question>> LoadQuestions(const std::filesystem::path& file);

// The name and bytes a document is ingested as: "x.scanned.txt" becomes a
// scanned PDF "x.pdf", "x.pdf.txt" a text PDF (pages split at form feeds),
// "x.xlsx.tsv" a spreadsheet "x.xlsx" (first row the headers), "x.docx.md"
// a Word document "x.docx" (lines: "# "/"## " headings, "| a | b |" table
// rows, else paragraphs); any other file as it is.
std::pair<std::string, std::string> Document(const std::filesystem::path& path);
std::string IngestedName(const std::string& doc);

// Whether `hit` holds the evidence (same document, the passage in its text,
// spaces and case ignored).
bool Holds(const knowledge::SearchHit& hit, const Evidence& e);
// Whether `answer` says `expected` (spaces and case ignored).
bool Contains(const std::string& answer, const std::string& expected);
// Whether every piece of the question's evidence is among the first `k` hits.
bool Found(const std::vector<knowledge::SearchHit>& hits, const Question& q, size_t k);

}  // namespace daulat::bench
