#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/blob_store.h"
#include "store/database.h"

namespace daulat::knowledge {

// What a consistency check of the document library found. Debris is what a
// crash or a failed write can leave and a repair removes without losing
// anything a user was told was stored; damage is data that is gone.
struct LibraryHealth {
  int64_t documents = 0;
  int64_t stored_blobs = 0;
  // Debris.
  std::vector<std::string> orphan_blobs;  // "<tenant folder>/<file>": named by no document
  // Unnamed blobs younger than `in_flight_seconds`: uploads in progress when
  // another process writes the folder. Neither debris nor removed.
  int64_t recent_unnamed_blobs = 0;
  int64_t orphan_chunks = 0;         // passages of no document
  int64_t orphan_vectors = 0;        // vectors of no passage (of the same tenant)
  int64_t orphan_index_entries = 0;  // BM25 entries of no passage
  int64_t unindexed_chunks = 0;      // passages BM25 cannot find
  // Damage.
  std::vector<std::string> missing_originals;  // "<tenant>/<document id>"
  // Whose stored original does not decrypt or hash to its content hash
  // (checked only with verify_originals).
  std::vector<std::string> damaged_originals;

  bool HasDebris() const;
  bool HasDamage() const { return !missing_originals.empty() || !damaged_originals.empty(); }
};

nlohmann::json ToJson(const LibraryHealth& health);

struct HealthOptions {
  // Removes the debris found (and indexes unindexed passages) in one
  // transaction, then the orphan blobs. Only while no other process writes
  // the data folder (store::DataFolderLock::Exclusive): a running upload's
  // blob is named only when its transaction commits.
  bool repair = false;
  // > 0 while the folder may have writers (a check beside a running server):
  // unnamed blobs younger than this are left alone.
  int64_t in_flight_seconds = 0;
  // Decrypts every original and compares its SHA-256 with the document's.
  bool verify_originals = false;
};

// Compares the library's rows (documents, passages, vectors, BM25 entries)
// with each other and with the blob store, across every tenant. The health
// returned is what was found, before any repair.
Result<LibraryHealth> CheckLibrary(store::Database& db, store::BlobStore& blobs,
                                   const HealthOptions& options);

// On a database that several nodes share, each node keeps the originals it
// read in its own blob store (until originals move to an object store): a
// document erased or replaced through another node leaves its original here.
// Discards this store's originals that no document names and that were
// last written at least `in_flight_seconds` ago (an upload in progress
// writes its original before its rows commit). Returns how many went.
Result<int64_t> DiscardUnnamedOriginals(store::Database& db, store::BlobStore& blobs,
                                        int64_t in_flight_seconds);

}  // namespace daulat::knowledge
