#include "test_documents.h"

#include <archive.h>
#include <archive_entry.h>
#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-page-renderer.h>
#include <poppler/cpp/poppler-page.h>

#include <memory>
#include <stdexcept>

namespace daulat::testing {
namespace {

std::string Escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '(' || c == ')' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// Numbers the objects from 1 (the first must be the catalog) and adds the
// cross-reference table and trailer.
std::string AssemblePdf(const std::vector<std::string>& objects, const std::string& trailer_extra) {
  std::string pdf = "%PDF-1.4\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (const size_t o : offsets) {
    char entry[32];
    std::snprintf(entry, sizeof entry, "%010zu 00000 n \n", o);
    pdf += entry;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R" +
         trailer_extra + " >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

}  // namespace

std::string MakePdf(const std::vector<std::string>& pages, const std::string& title) {
  // Objects: 1 catalog, 2 pages, 3 font, 4 info, then per page a page and a content stream.
  std::vector<std::string> objects;
  std::string kids;
  for (size_t i = 0; i < pages.size(); ++i) kids += std::to_string(5 + 2 * i) + " 0 R ";
  objects.emplace_back("<< /Type /Catalog /Pages 2 0 R >>");
  objects.emplace_back("<< /Type /Pages /Kids [" + kids + "] /Count " +
                       std::to_string(pages.size()) + " >>");
  objects.emplace_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  objects.emplace_back("<< /Title (" + Escape(title) + ") >>");
  for (size_t i = 0; i < pages.size(); ++i) {
    objects.emplace_back(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font "
        "<< /F1 3 0 R >> >> /Contents " +
        std::to_string(6 + 2 * i) + " 0 R >>");
    // One text line per '\n'-separated line of the page, 14 points apart.
    std::string content;
    if (!pages[i].empty()) {
      content = "BT /F1 12 Tf 14 TL 72 720 Td";
      size_t pos = 0;
      while (pos <= pages[i].size()) {
        size_t nl = pages[i].find('\n', pos);
        if (nl == std::string::npos) nl = pages[i].size();
        content += (pos == 0 ? " (" : " T* (") + Escape(pages[i].substr(pos, nl - pos)) + ") Tj";
        pos = nl + 1;
      }
      content += " ET";
    }
    objects.emplace_back("<< /Length " + std::to_string(content.size()) + " >>\nstream\n" +
                         content + "\nendstream");
  }
  return AssemblePdf(objects, " /Info 4 0 R");
}

std::string MakeScannedPdf(const std::string& text) {
  const std::string text_pdf = MakePdf({text});
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_raw_data(text_pdf.data(), static_cast<int>(text_pdf.size())));
  std::unique_ptr<poppler::page> page(doc->create_page(0));
  poppler::page_renderer renderer;
  renderer.set_image_format(poppler::image::format_gray8);
  renderer.set_render_hint(poppler::page_renderer::text_antialiasing, true);
  const poppler::image img = renderer.render_page(page.get(), 200, 200);
  std::string pixels;
  for (int y = 0; y < img.height(); ++y)
    pixels.append(img.const_data() + static_cast<size_t>(y) * img.bytes_per_row(),
                  static_cast<size_t>(img.width()));
  const std::string w = std::to_string(img.width()), h = std::to_string(img.height());
  const std::string content = "q 612 0 0 792 0 0 cm /Im1 Do Q";
  const std::vector<std::string> objects = {
      "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      std::string("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject ") +
          "<< /Im1 5 0 R >> >> /Contents 4 0 R >>",
      "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream",
      "<< /Type /XObject /Subtype /Image /Width " + w + " /Height " + h +
          " /ColorSpace /DeviceGray /BitsPerComponent 8 /Length " + std::to_string(pixels.size()) +
          " >>\nstream\n" + pixels + "\nendstream"};
  return AssemblePdf(objects, "");
}

std::string MakeZip(const std::map<std::string, std::string>& files) {
  std::unique_ptr<archive, int (*)(archive*)> a(archive_write_new(), archive_write_free);
  archive_write_set_format_zip(a.get());
  std::string out(64u << 20, '\0');
  size_t used = 0;
  if (archive_write_open_memory(a.get(), out.data(), out.size(), &used) != ARCHIVE_OK)
    throw std::runtime_error("zip: open");
  for (const auto& [name, data] : files) {
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(),
                                                               archive_entry_free);
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_write_header(a.get(), e.get());
    archive_write_data(a.get(), data.data(), data.size());
  }
  archive_write_close(a.get());
  out.resize(used);
  return out;
}

std::string MakeDocx(const std::vector<std::string>& paragraphs,
                     const std::vector<std::string>& table_rows) {
  std::string body;
  for (const auto& p : paragraphs) {
    std::string style, text = p;
    if (p.rfind("## ", 0) == 0) {
      style = "Heading2";
      text = p.substr(3);
    } else if (p.rfind("# ", 0) == 0) {
      style = "Heading1";
      text = p.substr(2);
    }
    body += "<w:p>";
    if (!style.empty()) body += "<w:pPr><w:pStyle w:val=\"" + style + "\"/></w:pPr>";
    body += "<w:r><w:t>" + XmlEscape(text) + "</w:t></w:r></w:p>";
  }
  if (!table_rows.empty()) {
    body += "<w:tbl>";
    for (const auto& row : table_rows) {
      body += "<w:tr>";
      size_t pos = 0;
      while (pos <= row.size()) {
        size_t bar = row.find(" | ", pos);
        if (bar == std::string::npos) bar = row.size();
        body += "<w:tc><w:p><w:r><w:t>" + XmlEscape(row.substr(pos, bar - pos)) +
                "</w:t></w:r></w:p></w:tc>";
        pos = bar + 3;
      }
      body += "</w:tr>";
    }
    body += "</w:tbl>";
  }
  const std::string document =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
      "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">"
      "<w:body>" +
      body + "</w:body></w:document>";
  return MakeZip({{"[Content_Types].xml", "<Types/>"}, {"word/document.xml", document}});
}

std::string XmlEscape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '&') {
      out += "&amp;";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace daulat::testing
