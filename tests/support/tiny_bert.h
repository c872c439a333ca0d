#pragma once

#include <filesystem>

namespace daulat::testing {

// Writes a tiny random BERT in Hugging Face form (config.json, WordPiece
// tokenizer.json, model.safetensors with F32 weights, an I64 position_ids and
// a pooler the import skips) for `daulat models import` and embedding tests:
// 32 dimensions, 2 layers, a 17-token vocabulary. `drop_layer_tensor` leaves
// out one layer weight, to test the importer's checks.
void WriteTinyBert(const std::filesystem::path& dir, bool drop_layer_tensor = false);

}  // namespace daulat::testing
