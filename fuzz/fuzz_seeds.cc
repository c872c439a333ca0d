// Writes the binary seeds of the fuzz corpora (real PDF and Office files, a
// scanned page, a model file) with the tests' own generators, into
// DIR/<target>/: the text seeds are in fuzz/corpus, binaries are made here.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "test_documents.h"
#include "tiny_model.h"

namespace {

void Write(const std::filesystem::path& dir, const std::string& target, const std::string& name,
           const std::string& bytes) {
  std::filesystem::create_directories(dir / target);
  std::ofstream(dir / target / name, std::ios::binary) << bytes;
}

std::string Slide(const std::string& title, const std::string& body) {
  return "<p:sld xmlns:p=\"p\" xmlns:a=\"a\"><p:cSld><p:spTree><p:sp><p:nvSpPr><p:nvPr>"
         "<p:ph type=\"title\"/></p:nvPr></p:nvSpPr><p:txBody><a:p><a:r><a:t>" +
         title + "</a:t></a:r></a:p></p:txBody></p:sp><p:sp><p:txBody><a:p><a:r><a:t>" + body +
         "</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace daulat::testing;
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds DIR\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  Write(dir, "document_pdf", "circular.pdf",
        MakePdf({"1. Tujuan\nPekeliling ini menetapkan kadar elaun.\n2. Kadar\nRM 80 sehari.",
                 "Table 1: Rates\nGrade | Rate\nA | 120"},
                "Pekeliling Elaun 2025"));
  Write(dir, "document_pdf", "blank-page.pdf", MakePdf({"Page one", ""}));
  Write(dir, "document_pdf", "scanned.pdf", MakeScannedPdf("Surat Pekeliling\nElaun RM 80"));
  // The office target's first byte picks the name: 0 docx, 1 pptx, 2 xlsx.
  Write(dir, "document_office", "report.docx",
        std::string(1, '\0') + MakeDocx({"# Laporan", "## Ringkasan", "Kes meningkat."},
                                        {"Negeri | Kes", "Perak | 42"}));
  Write(dir, "document_office", "slides.pptx",
        std::string(1, '\1') + MakeZip({{"ppt/slides/slide1.xml", Slide("Pelan", "Fasa satu")},
                                        {"ppt/slides/slide2.xml", Slide("Bajet", "RM 2 juta")}}));
  Write(dir, "document_office", "sheet.xlsx",
        std::string(1, '\2') +
            MakeZip({{"xl/sharedStrings.xml",
                      "<sst><si><t>Negeri</t></si><si><t>Kes</t></si><si><t>Perak</t></si></sst>"},
                     {"xl/worksheets/sheet1.xml",
                      "<worksheet><sheetData><row><c t=\"s\"><v>0</v></c><c t=\"s\"><v>1</v></c>"
                      "</row><row><c t=\"s\"><v>2</v></c><c><v>42</v></c></row></sheetData>"
                      "</worksheet>"}}));
  std::ifstream model(SharedTinyModelPath(), std::ios::binary);
  const std::string gguf((std::istreambuf_iterator<char>(model)), std::istreambuf_iterator<char>());
  Write(dir, "gguf_header", "tiny-head.gguf", gguf.substr(0, 4096));
  Write(dir, "gguf_header", "tiny-metadata.gguf", gguf.substr(0, 65536));
  std::printf("fuzz seeds written to %s\n", dir.c_str());
  return 0;
}
