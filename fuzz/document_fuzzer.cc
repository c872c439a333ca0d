// Uploaded files, one target per format (DAULAT_FUZZ_FORMAT is the file name
// the upload gives; PDF and Office files are told by their magic bytes, the
// rest by the name). Each parse is followed by chunking, as ingestion does.
// OCR reads at most one scanned page, so a slow page shows as a slow input.
#include <string>

#include "fuzz_support.h"
#include "knowledge/chunker.h"
#include "knowledge/document_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace daulat;
  std::string name = DAULAT_FUZZ_FORMAT;
  if (name == "office") {
    static const char* const kNames[] = {"doc.docx", "slides.pptx", "sheet.xlsx"};
    name = kNames[fuzz::TakeChoice(data, size, 3)];
  }
  knowledge::ParseLimits limits;
  limits.max_bytes = size_t{4} << 20;
  limits.max_unpacked = size_t{16} << 20;
  limits.max_text = size_t{4} << 20;
  limits.max_pages = 200;
  limits.max_ocr_pages = 1;
  auto doc = knowledge::ParseDocument(fuzz::Text(data, size), name, limits);
  if (!doc.ok()) return 0;
  (void)knowledge::ChunkDocument(*doc);
  return 0;
}
