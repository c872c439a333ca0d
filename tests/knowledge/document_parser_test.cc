#include "knowledge/document_parser.h"

#include <gtest/gtest.h>

#include "knowledge/chunker.h"
#include "test_documents.h"

namespace daulat::knowledge {
namespace {

using Kind = Block::Kind;

std::string AllText(const ParsedDocument& d) {
  std::string out;
  for (const auto& b : d.blocks) out += b.text + "\n";
  return out;
}

// A hostile page nests 200,000 elements: refused with a reason, never a crash.
// Ordinary pages with many unclosed <p> and <li> are not deep.
TEST(DocumentParserTest, HtmlNestedTooDeeplyIsRefused) {
  std::string deep = "<html><body>";
  for (int i = 0; i < 200000; ++i) deep += "<div>";
  deep += "dalam";
  auto refused = ParseDocument(deep, "dalam.html");
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("nests deeper"), std::string::npos);
  // HTML keeps "<div/>" open, and "</x>" closes nothing that is not open.
  for (const std::string unit : {"<div/>", "<div></x>", "<span></b>"}) {
    std::string sneaky = "<html><body>";
    for (int i = 0; i < 100000; ++i) sneaky += unit;
    EXPECT_EQ(ParseDocument(sneaky, "licik.html").status().code(), StatusCode::kInvalidArgument)
        << unit;
  }
  std::string flat = "<html><body><ul>";
  for (int i = 0; i < 20000; ++i) flat += "<li>perkara " + std::to_string(i) + "<p>nota";
  flat += "</ul></body></html>";
  auto parsed = ParseDocument(flat, "senarai.html");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_FALSE(parsed->blocks.empty());
}

TEST(DocumentParserTest, PdfTextComesWithPageNumbersAndScannedPagesAreNoted) {
  const auto pdf = testing::MakePdf({"Pekeliling Perbendaharaan bilangan 3 tahun 2026.", "",
                                     "Tarikh kuat kuasa: 1 Januari 2027."},
                                    "Pekeliling 3/2026");
  auto doc = ParseDocument(pdf, "pekeliling.pdf");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->format, "pdf");
  EXPECT_EQ(doc->pages, 3);
  EXPECT_EQ(doc->title, "Pekeliling 3/2026");
  ASSERT_EQ(doc->blocks.size(), 2u);
  EXPECT_EQ(doc->blocks[0].page, 1);
  EXPECT_NE(doc->blocks[0].text.find("Perbendaharaan"), std::string::npos);
  EXPECT_EQ(doc->blocks[1].page, 3);
  EXPECT_EQ(doc->pages_without_text, std::vector<int>{2});
}

TEST(DocumentParserTest, NumberedSectionTitlesAreTold) {
  EXPECT_EQ(internal::NumberedHeadingDepth("2. Teller cash limits"), 1);
  EXPECT_EQ(internal::NumberedHeadingDepth("4.1 Had nilai perolehan"), 2);
  EXPECT_EQ(internal::NumberedHeadingDepth("10.2.3 Kadar"), 3);
  EXPECT_EQ(internal::NumberedHeadingDepth("3 Vault control"), 0);
  EXPECT_EQ(internal::NumberedHeadingDepth("15 Mac 2025"), 0);
  EXPECT_EQ(internal::NumberedHeadingDepth("12 Jalan Ampang"), 0);
  EXPECT_EQ(internal::NumberedHeadingDepth("1. \xE2\x80\xA2 Item"), 0);
  EXPECT_EQ(
      internal::NumberedHeadingDepth(
          "3. "
          "\xE0\xAE\xA8\xE0\xAF\x8B\xE0\xAE\x95\xE0\xAF\x8D\xE0\xAE\x95\xE0\xAE\xAE\xE0\xAF\x8D"),
      1);  // Tamil
  // Sentences, times, amounts, dates and list items are not section titles.
  EXPECT_EQ(internal::NumberedHeadingDepth("2. Complete the form."), 0);
  EXPECT_EQ(internal::NumberedHeadingDepth("3.30 petang hingga 5.00 petang"), 0);
  EXPECT_EQ(internal::NumberedHeadingDepth("2024 Annual Report of the Bank"), 0);
  EXPECT_EQ(internal::NumberedHeadingDepth("1. the customer signs"), 0);
  EXPECT_EQ(internal::NumberedHeadingDepth("1.2.3.4 Too Deep"), 0);
  EXPECT_EQ(
      internal::NumberedHeadingDepth("2. A title of far too many words to be a section title ok"),
      0);
  EXPECT_EQ(internal::NumberedHeadingDepth("12."), 0);
  EXPECT_EQ(internal::NumberedHeadingDepth(""), 0);
}

TEST(DocumentParserTest, APdfPageOfSeveralProceduresIsCutAtItsNumberedSections) {
  // A text layer has no blank lines between paragraphs: one page of several
  // sections would otherwise be one paragraph.
  const std::string purpose =
      "This procedure applies to tellers, cash supervisors and branch managers.\n"
      "It covers teller cash limits, vault control and large cash deposits,\n"
      "and the handling of notes that a teller suspects to be counterfeit.\n";
  const std::string limits =
      "Each teller drawer may hold at most RM50,000 at any time.\n"
      "Cash above this limit is moved to the vault within 30 minutes,\n"
      "recorded on Form CH-2 and countersigned by the cash supervisor.\n"
      "Every teller balances the drawer before 5.30 p.m. each day.\n";
  const auto pdf = testing::MakePdf({"Bank Tenggara Jaya Berhad\n1. Purpose\n" + purpose +
                                     "2. Teller cash limits\n" + limits +
                                     "3. Vault control\nThe vault is opened under dual control."});
  auto doc = ParseDocument(pdf, "cash.pdf");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  std::vector<std::string> headings;
  for (const auto& b : doc->blocks)
    if (b.kind == Block::Kind::kHeading) headings.push_back(b.text);
  // The page's title alone is too short to stand as a passage: "1. Purpose"
  // runs on from it; sections 2 and 3 follow long enough text to be cut.
  EXPECT_EQ(headings, (std::vector<std::string>{"2. Teller cash limits", "3. Vault control"}))
      << AllText(*doc);
  const auto chunks = ChunkDocument(*doc);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[1].heading_path, "2. Teller cash limits");
  EXPECT_EQ(chunks[1].text.find("dual control"), std::string::npos);
  EXPECT_NE(chunks[1].text.find("RM50,000"), std::string::npos);
  EXPECT_NE(chunks[0].text.find("1. Purpose"), std::string::npos);
  EXPECT_EQ(chunks[1].page, 1);
}

TEST(DocumentParserTest, ScannedPagesAreReadByOcrInEnglishAndMalay) {
  const auto pdf = testing::MakeScannedPdf("Surat Pekeliling Perbendaharaan Bilangan 7 Tahun 2026");
  auto doc = ParseDocument(pdf, "imbasan.pdf");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->ocr_pages, std::vector<int>{1});
  EXPECT_TRUE(doc->pages_without_text.empty());
  const std::string text = AllText(*doc);
  EXPECT_NE(text.find("Pekeliling"), std::string::npos) << text;
  EXPECT_NE(text.find("Perbendaharaan"), std::string::npos) << text;
  EXPECT_NE(text.find("2026"), std::string::npos) << text;
  ASSERT_FALSE(doc->blocks.empty());
  EXPECT_EQ(doc->blocks[0].page, 1);
  // With OCR off (or its budget spent) the page is listed as without text.
  ParseLimits no_ocr;
  no_ocr.max_ocr_pages = 0;
  auto plain = ParseDocument(pdf, "imbasan.pdf", no_ocr);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->pages_without_text, std::vector<int>{1});
  EXPECT_TRUE(plain->blocks.empty());
}

// A hostile PDF declares a page of 200 by 200 inches with nothing on it: at
// OCR's 300 dpi that is 3.6 GB of pixels. It is listed as without text
// instead of being rendered; a large real page is read at a lower resolution.
TEST(DocumentParserTest, AGiantBlankPageIsNotRenderedForOcr) {
  std::string pdf = testing::MakePdf({""});
  const std::string letter = "/MediaBox [0 0 612 792]";
  const size_t at = pdf.find(letter);
  ASSERT_NE(at, std::string::npos);
  pdf.replace(at, letter.size(), "/MediaBox [0 0 14400 14400]");
  auto doc = ParseDocument(pdf, "besar.pdf");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->pages_without_text, std::vector<int>{1});
  EXPECT_TRUE(doc->ocr_pages.empty());
}

TEST(DocumentParserTest, DocxHeadingsParagraphsAndTables) {
  const auto docx = testing::MakeDocx({"# Garis Panduan", "Semua permohonan dihantar dalam talian.",
                                       "## Yuran", "Yuran proses ialah RM50."},
                                      {"Jenis | Yuran", "Baharu | RM50", "Pembaharuan | RM30"});
  auto doc = ParseDocument(docx, "panduan.docx");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->format, "docx");
  EXPECT_EQ(doc->title, "Garis Panduan");
  // The header row labels every data row; the line before the table is its caption.
  ASSERT_EQ(doc->blocks.size(), 6u);
  EXPECT_EQ(doc->blocks[0].kind, Kind::kHeading);
  EXPECT_EQ(doc->blocks[0].level, 1);
  EXPECT_EQ(doc->blocks[2].level, 2);
  EXPECT_EQ(doc->blocks[4].kind, Kind::kTableRow);
  EXPECT_EQ(doc->blocks[4].text, "Jenis: Baharu; Yuran: RM50");
  EXPECT_EQ(doc->blocks[5].text, "Jenis: Pembaharuan; Yuran: RM30");
  EXPECT_EQ(doc->blocks[5].caption, "Yuran proses ialah RM50.");
}

TEST(DocumentParserTest, HtmlSkipsScriptsAndKeepsStructure) {
  const std::string html =
      "<!doctype html><html><head><title>Soalan Lazim</title><style>p{}</style>"
      "<script>alert('x')</script></head><body><h1>Soalan Lazim</h1><p>Bagaimana memohon "
      "<b>lesen</b>?</p><ul><li>Isi borang</li><li>Bayar yuran</li></ul>"
      "<table><tr><th>Hari</th><th>Waktu</th></tr><tr><td>Isnin</td><td>8-5</td></tr></table>"
      "</body></html>";
  auto doc = ParseDocument(html, "faq.html");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->format, "html");
  EXPECT_EQ(doc->title, "Soalan Lazim");
  const std::string text = AllText(*doc);
  EXPECT_EQ(text.find("alert"), std::string::npos);
  EXPECT_NE(text.find("Bagaimana memohon lesen?"), std::string::npos) << text;
  EXPECT_NE(text.find("Hari: Isnin; Waktu: 8-5"), std::string::npos) << text;
  EXPECT_EQ(doc->blocks[0].kind, Kind::kHeading);
}

TEST(DocumentParserTest, MarkdownCsvAndText) {
  auto md = ParseDocument(
      "# Manual\n\nPara one\ncontinues.\n\n## Part 2\n| a | b |\n|---|---|\n| 1 | 2 |\n",
      "manual.md");
  ASSERT_TRUE(md.ok());
  EXPECT_EQ(md->format, "markdown");
  ASSERT_EQ(md->blocks.size(), 4u);
  EXPECT_EQ(md->blocks[1].text, "Para one continues.");
  EXPECT_EQ(md->blocks[3].text, "a: 1; b: 2");
  auto csv = ParseDocument("negeri,yuran\nSelangor,\"RM 1,200\"\nJohor,RM900\n", "yuran.csv");
  ASSERT_TRUE(csv.ok());
  ASSERT_EQ(csv->blocks.size(), 2u);
  EXPECT_EQ(csv->blocks[0].text, "negeri: Selangor; yuran: RM 1,200");
  auto txt = ParseDocument("Baris satu.\n\nBaris dua.", "nota.txt");
  ASSERT_TRUE(txt.ok());
  EXPECT_EQ(txt->blocks.size(), 2u);
}

TEST(DocumentParserTest, HostileAndBrokenFilesGetClearErrors) {
  EXPECT_EQ(ParseDocument("", "empty.txt").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseDocument(std::string("\x00\x01\x02\xff", 4), "blob.bin").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseDocument("%PDF-1.4 this is not really a pdf", "bad.pdf").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseDocument(std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8), "old.doc")
                .status()
                .message()
                .find("password-protected Office file"),
            0u + std::string("old.doc is a ").size());
  ParseLimits small;
  small.max_bytes = 10;
  EXPECT_EQ(ParseDocument("more than ten bytes", "x.txt", small).status().code(),
            StatusCode::kResourceExhausted);
  // A zip bomb stops at the unpacked-size limit.
  const auto bomb = testing::MakeZip({{"word/document.xml", std::string(4u << 20, ' ')}});
  ParseLimits tight;
  tight.max_unpacked = 1u << 20;
  const auto r = ParseDocument(bomb, "bomb.docx", tight);
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("zip bomb"), std::string::npos);
  // Entities are never expanded (billion laughs stays small) and a DTD is ignored.
  const std::string laughs =
      "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
      "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>"
      "<w:document xmlns:w=\"w\"><w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p>"
      "<w:p><w:r><w:t>Teks biasa</w:t></w:r></w:p></w:body></w:document>";
  auto xml = ParseDocument(testing::MakeZip({{"word/document.xml", laughs}}), "laughs.docx");
  ASSERT_TRUE(xml.ok()) << xml.status().ToString();
  EXPECT_LT(AllText(*xml).size(), 100u);
  EXPECT_NE(AllText(*xml).find("Teks biasa"), std::string::npos);
  EXPECT_EQ(ParseDocument(testing::MakeZip({{"notes.txt", "hi"}}), "x.zip").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseDocument(testing::MakeZip({{"word/document.xml", "<w:document><unclosed"}}),
                          "broken.docx")
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST(DocumentParserTest, SlidesAndSheets) {
  const std::string slide =
      "<p:sld xmlns:p=\"p\" xmlns:a=\"a\"><p:cSld><p:spTree>"
      "<p:sp><p:nvSpPr><p:nvPr><p:ph type=\"title\"/></p:nvPr></p:nvSpPr><p:txBody><a:p><a:r><a:t>"
      "Pelan Digital</a:t></a:r></a:p></p:txBody></p:sp>"
      "<p:sp><p:txBody><a:p><a:r><a:t>Fasa satu: perintis</a:t></a:r></a:p></p:txBody></p:sp>"
      "</p:spTree></p:cSld></p:sld>";
  auto pptx = ParseDocument(
      testing::MakeZip({{"ppt/slides/slide1.xml", slide}, {"ppt/slides/slide2.xml", slide}}),
      "pelan.pptx");
  ASSERT_TRUE(pptx.ok()) << pptx.status().ToString();
  EXPECT_EQ(pptx->format, "pptx");
  EXPECT_EQ(pptx->pages, 2);
  ASSERT_EQ(pptx->blocks.size(), 4u);
  EXPECT_EQ(pptx->blocks[0].kind, Kind::kHeading);
  EXPECT_EQ(pptx->blocks[3].page, 2);
  const std::string shared =
      "<sst><si><t>Negeri</t></si><si><t>Kes</t></si><si><t>Perak</t></si></sst>";
  const std::string sheet =
      "<worksheet><sheetData><row><c t=\"s\"><v>0</v></c><c t=\"s\"><v>1</v></c></row>"
      "<row><c t=\"s\"><v>2</v></c><c><v>42</v></c></row><row><c t=\"s\"><v>99</v></c></row>"
      "</sheetData></worksheet>";
  auto xlsx = ParseDocument(
      testing::MakeZip({{"xl/sharedStrings.xml", shared}, {"xl/worksheets/sheet1.xml", sheet}}),
      "kes.xlsx");
  ASSERT_TRUE(xlsx.ok()) << xlsx.status().ToString();
  EXPECT_EQ(xlsx->format, "xlsx");
  ASSERT_EQ(xlsx->blocks.size(), 2u);
  EXPECT_EQ(xlsx->blocks[1].text, "Negeri: Perak; Kes: 42");
}

// A row far from its header still says what its numbers are, and the
// table's caption (or the line introducing it) labels its rows only.
TEST(DocumentParserTest, TableRowsCarryTheirHeadersAndCaption) {
  const std::string html =
      "<html><body><h1>Pekeliling Elaun</h1><table><caption>Jadual 2: Kadar elaun "
      "harian</caption><thead><tr><td>Gred</td><td>Elaun (RM)</td></tr></thead><tbody>"
      "<tr><td>41</td><td>150.00</td></tr><tr><td>52</td><td></td></tr></tbody></table>"
      "<p>Tuntutan dibuat dalam 30 hari.</p></body></html>";
  auto doc = ParseDocument(html, "elaun.html");
  ASSERT_TRUE(doc.ok());
  ASSERT_EQ(doc->blocks.size(), 5u);
  EXPECT_EQ(doc->blocks[1].kind, Kind::kParagraph);  // the caption is text of the document
  EXPECT_EQ(doc->blocks[1].text, "Jadual 2: Kadar elaun harian");
  EXPECT_EQ(doc->blocks[2].text, "Gred: 41; Elaun (RM): 150.00");
  EXPECT_EQ(doc->blocks[2].caption, "Jadual 2: Kadar elaun harian");
  EXPECT_EQ(doc->blocks[3].text, "Gred: 52");  // empty cells are left out
  EXPECT_EQ(doc->blocks[4].caption, "");

  // A table without a header row keeps its plain cells.
  auto plain = ParseDocument("| x | y |\n| 1 | 2 |\n", "plain.md");
  ASSERT_TRUE(plain.ok());
  ASSERT_EQ(plain->blocks.size(), 2u);
  EXPECT_EQ(plain->blocks[1].text, "1 | 2");

  ChunkOptions small;
  small.target_tokens = 16;
  const auto chunks = ChunkDocument(*doc, small);
  bool row_chunk = false;
  for (const auto& c : chunks) {
    if (c.text.find("Gred: 41") != std::string::npos) {
      row_chunk = true;
      EXPECT_EQ(c.heading_path, "Pekeliling Elaun > Jadual 2: Kadar elaun harian");
    }
    if (c.text.find("Tuntutan") != std::string::npos) {
      EXPECT_EQ(c.heading_path, "Pekeliling Elaun");
    }
  }
  EXPECT_TRUE(row_chunk);
}

// A zip header followed by noise: libarchive fails without a message
// (a null error string), which once crashed the upload thread.
TEST(DocumentParserTest, AZipWithNoErrorMessageIsRefusedNotFatal) {
  const std::string hex =
      "504b0304654ec5ff7c1287e1c650cb7343dc9620b472cb9bf34e9b56c32f8bf90fa83f00ee921261ba4da34e"
      "c9f1dceb8fbb2f6798e52d446bff04826c58f1edac90c799ee926dc4842cba46f1b99853766d8e81949f5ac4"
      "0545a21da173b231f9515631d4e529a68cbf1d8285aea4a939bcc91af25b533d0f3d010fc5ea680ac749f7a7"
      "abece1c2effc64e7b316198d2fcde5926266b5c57a39317874add061ca876e95386dfddf4f6108cb690f4018"
      "3f04ff77daf51af5778a1a5b450fb7c68f0ec820c5acadb15ae8eecb2690c480f60920e194e02fa84e231fee"
      "6011ed58547f1b76586a551ac10084bd0308fd5d49cf5d0ffbd13b68e6ebb18d1bc3db663f7b10e099799506"
      "3fc7c64d8e63e7bab68f77fdbd69d0a1a5622fbab14cb34f3aad4ca8b6a97a5eb4fb9d4d0982d9fb";
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  for (const char* name : {"x.docx", "x.xlsx", "x.pptx", "x.zip"}) {
    auto parsed = ParseDocument(bytes, name, {});
    EXPECT_FALSE(parsed.ok()) << name;
  }
}

}  // namespace
}  // namespace daulat::knowledge
