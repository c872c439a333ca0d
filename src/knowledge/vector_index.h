#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <shared_mutex>
#include <utility>
#include <vector>

#include "common/status.h"

namespace hnswlib {
template <typename T>
class HierarchicalNSW;
class InnerProductSpace;
}  // namespace hnswlib

namespace daulat::knowledge {

// An approximate nearest-neighbour index over unit vectors (HNSW from
// hnswlib, inner product = cosine similarity), keyed by chunk id. Grows as
// vectors are added; removals are marked and skipped, and their vectors
// zeroed at once. Thread-safe: searches
// share a lock, changes take it alone.
class VectorIndex {
 public:
  explicit VectorIndex(size_t dim, size_t capacity = 1024);
  ~VectorIndex();
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  size_t dim() const { return dim_; }
  size_t size() const;  // live vectors

  // INVALID_ARGUMENT for a vector of the wrong size. An id already present
  // gets the new vector.
  Status Add(int64_t id, const std::vector<float>& v);
  // False when the id was not there.
  bool Remove(int64_t id);
  // Up to k ids, most similar first, with their similarity.
  std::vector<std::pair<int64_t, double>> Nearest(const std::vector<float>& query, size_t k) const;
  // Every live id, in no particular order.
  std::vector<int64_t> Ids() const;
  // The stored vector, or empty when the id is absent.
  std::vector<float> Get(int64_t id) const;

  // Writes the index (erased vectors are zeros; when they are many, the graph
  // is rebuilt without them first).
  Status Save(const std::filesystem::path& file);
  // DATA_LOSS when the file is not an index of this dimension.
  static Result<std::unique_ptr<VectorIndex>> Load(const std::filesystem::path& file, size_t dim);

 private:
  void CompactLocked();  // rebuilds the graph from the live nodes; holds mu_ alone

  size_t dim_;
  std::unique_ptr<hnswlib::InnerProductSpace> space_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> hnsw_;
  mutable std::shared_mutex mu_;
  size_t live_ = 0;  // GUARDED_BY(mu_)
};

}  // namespace daulat::knowledge
