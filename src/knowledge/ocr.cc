#include "knowledge/ocr.h"

#include <tesseract/baseapi.h>

#include <memory>

namespace daulat::knowledge {

Result<std::string> RecogniseText(const unsigned char* grey, int width, int height,
                                  int bytes_per_row, int dpi) {
  if (grey == nullptr || width <= 0 || height <= 0) return InvalidArgument("empty image");
  auto api = std::make_unique<tesseract::TessBaseAPI>();
  // nullptr: the packaged tessdata folder (or TESSDATA_PREFIX).
  if (api->Init(nullptr, "eng+msa", tesseract::OEM_LSTM_ONLY) != 0)
    return Unavailable("OCR language data (tesseract-ocr-eng, tesseract-ocr-msa) is not installed");
  api->SetPageSegMode(tesseract::PSM_AUTO);
  api->SetImage(grey, width, height, 1, bytes_per_row);
  api->SetSourceResolution(dpi);
  std::unique_ptr<char[]> text(api->GetUTF8Text());
  api->End();
  return text ? std::string(text.get()) : std::string();
}

}  // namespace daulat::knowledge
