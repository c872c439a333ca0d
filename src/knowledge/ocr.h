#pragma once

#include <string>

#include "common/status.h"

namespace daulat::knowledge {

// Recognises printed English and Malay text (Tesseract LSTM, eng+msa, from
// Debian's tesseract-ocr-eng and tesseract-ocr-msa) in an 8-bit grey image.
// UNAVAILABLE when the language data is not installed. Thread-safe: each
// call has its own engine.
Result<std::string> RecogniseText(const unsigned char* grey, int width, int height,
                                  int bytes_per_row, int dpi);

}  // namespace daulat::knowledge
