#pragma once

// Helpers shared by the files that implement Library; not a public API.

#include <string>
#include <vector>

#include "common/random_id.h"
#include "knowledge/library.h"
#include "knowledge/text_index.h"
#include "store/database.h"

namespace daulat::knowledge::internal {

// The SQL condition (with its parameters appended to `params`) selecting the
// rows of table alias `alias` that the reader may see: tenant, clearance, ACL.
// For a store::TenantScope over the reader's tenant: its tenant filter is the
// scope's `{tenant:alias}` marker.
std::string Visible(const Reader& r, const std::string& alias, std::vector<store::Value>& params);

using daulat::NewId;  // common/random_id.h

// What a chunk's vector is made from: its document's title (unless its
// section path already starts with it), its section path and its text. The
// title puts "which agency, which circular" into every passage's vector, so
// a question naming them finds the passage that answers and not only the
// one that names them (bench/rag MRR@10 0.701 -> 0.731).
std::string PassageText(const std::string& title, const std::string& heading_path,
                        const std::string& text);
// How far down a replaced document's passages move (library_replaced.cc):
// far enough that the passages of the document in force come first (five of
// them reach an answer), near enough that the old one still shows when
// little else matches.
inline constexpr size_t kReplacedPlaces = 5;

// What PassageText puts together, recorded with each vector after the model's name.
inline constexpr const char* kPassageRecipe = "+title";

// The opaque index token of one analysed term ("t" + 16 hex of its SHA-256).
std::string TermToken(const std::string& term);
// Every term of `text` as index tokens, space-separated (what the FTS table stores).
std::string IndexTerms(const std::string& text);

// The name of a tenant's BM25 table: "kn_index_" and 16 hex digits.
std::string IndexTableName(const std::string& tenant_id);

// The columns of kn_documents that DocumentFrom reads, in its order.
const std::string& DocumentColumns();
DocumentInfo DocumentFrom(const store::Row& r);
// Removes a document's vectors, index entries, chunks and row (not its
// original bytes); the removed chunk ids go to `removed`.
Status Erase(store::Transaction& tx, const std::string& index, const std::string& tenant_id,
             const std::string& id, std::vector<int64_t>& removed);

}  // namespace daulat::knowledge::internal
