// The assessment report as a PDF: the HTML report's sections, laid out on A4
// pages with cairo (vector radar chart, DejaVu Sans from fontconfig).

#include <cairo-pdf.h>
#include <cairo.h>

#include <map>
#include <sstream>

#include "assessment/report.h"
#include "common/clock.h"

namespace daulat::assessment {
namespace {

using nlohmann::json;

struct Rgb {
  double r, g, b;
};
constexpr Rgb kInk{0.106, 0.141, 0.188};
constexpr Rgb kBrand{0.043, 0.239, 0.361};
constexpr Rgb kMuted{0.353, 0.392, 0.447};
constexpr Rgb kRed{0.702, 0.149, 0.118};
constexpr Rgb kGreen{0.118, 0.42, 0.208};
constexpr Rgb kChart{0.122, 0.435, 0.545};

// A top-to-bottom writer: text wraps to the page width and flows onto new pages.
class PdfWriter {
 public:
  static constexpr double kWidth = 595.276, kHeight = 841.89, kMargin = 50;

  PdfWriter() {
    surface_ = cairo_pdf_surface_create_for_stream(&PdfWriter::Write, &out_, kWidth, kHeight);
    cr_ = cairo_create(surface_);
  }
  ~PdfWriter() {
    if (cr_ != nullptr) cairo_destroy(cr_);
    if (surface_ != nullptr) cairo_surface_destroy(surface_);
  }
  PdfWriter(const PdfWriter&) = delete;
  PdfWriter& operator=(const PdfWriter&) = delete;

  void SetTitle(const std::string& title) {
    cairo_pdf_surface_set_metadata(surface_, CAIRO_PDF_METADATA_TITLE, title.c_str());
    cairo_pdf_surface_set_metadata(surface_, CAIRO_PDF_METADATA_CREATOR, "daulat");
  }

  void Text(const std::string& text, double size = 10, bool bold = false, Rgb colour = kInk,
            double indent = 0) {
    Font(size, bold);
    cairo_set_source_rgb(cr_, colour.r, colour.g, colour.b);
    const double width = kWidth - 2 * kMargin - indent;
    for (const auto& line : Wrap(text, width)) {
      Room(size * 1.4);
      y_ += size * 1.1;
      cairo_move_to(cr_, kMargin + indent, y_);
      cairo_show_text(cr_, line.c_str());
      y_ += size * 0.3;
    }
  }
  void Heading(const std::string& text) {
    Room(60);  // keep a heading with what follows
    y_ += 14;
    Text(text, 14, true, kBrand);
    cairo_set_source_rgb(cr_, kBrand.r, kBrand.g, kBrand.b);
    cairo_set_line_width(cr_, 1.2);
    cairo_move_to(cr_, kMargin, y_ + 2);
    cairo_line_to(cr_, kWidth - kMargin, y_ + 2);
    cairo_stroke(cr_);
    y_ += 8;
  }
  void Space(double dy) { y_ += dy; }

  // A radar of `current` (filled) and `baseline` (dashed, may be empty).
  void Radar(const std::vector<double>& current, const std::vector<double>& baseline,
             const std::vector<std::string>& labels) {
    const double size = 300;
    Room(size);
    const double cx = kWidth / 2, cy = y_ + size / 2, r = 100;
    cairo_set_line_width(cr_, 0.6);
    cairo_set_source_rgb(cr_, 0.85, 0.87, 0.89);
    for (const double ring : {25.0, 50.0, 75.0, 100.0})
      Path(RadarPoints(std::vector<double>(current.size(), ring), cx, cy, r), false);
    const auto corners = RadarPoints(std::vector<double>(current.size(), 100.0), cx, cy, r);
    Font(8, false);
    for (size_t i = 0; i < corners.size(); ++i) {
      cairo_set_source_rgb(cr_, 0.85, 0.87, 0.89);
      cairo_move_to(cr_, cx, cy);
      cairo_line_to(cr_, corners[i].first, corners[i].second);
      cairo_stroke(cr_);
      cairo_text_extents_t ext;
      cairo_text_extents(cr_, labels[i].c_str(), &ext);
      const double lx = cx + (corners[i].first - cx) * 1.15,
                   ly = cy + (corners[i].second - cy) * 1.15;
      const double x =
          std::abs(lx - cx) < 10 ? lx - ext.width / 2 : (lx < cx ? lx - ext.width : lx);
      cairo_set_source_rgb(cr_, kInk.r, kInk.g, kInk.b);
      cairo_move_to(cr_, x, ly + 3);
      cairo_show_text(cr_, labels[i].c_str());
    }
    if (baseline.size() == current.size()) {
      const double dash[] = {4, 3};
      cairo_set_dash(cr_, dash, 2, 0);
      cairo_set_line_width(cr_, 1.5);
      cairo_set_source_rgb(cr_, kMuted.r, kMuted.g, kMuted.b);
      Path(RadarPoints(baseline, cx, cy, r), false);
      cairo_set_dash(cr_, nullptr, 0, 0);
    }
    cairo_set_source_rgba(cr_, kChart.r, kChart.g, kChart.b, 0.35);
    Path(RadarPoints(current, cx, cy, r), true);
    cairo_set_line_width(cr_, 2);
    cairo_set_source_rgb(cr_, kChart.r, kChart.g, kChart.b);
    Path(RadarPoints(current, cx, cy, r), false);
    y_ += size;
  }

  // Ends the document; the writer is spent afterwards.
  Result<std::string> Finish() {
    cairo_destroy(cr_);
    cr_ = nullptr;
    cairo_surface_finish(surface_);
    const cairo_status_t st = cairo_surface_status(surface_);
    cairo_surface_destroy(surface_);
    surface_ = nullptr;
    if (st != CAIRO_STATUS_SUCCESS)
      return Internal(std::string("cannot write the PDF: ") + cairo_status_to_string(st));
    return std::move(out_);
  }

 private:
  static cairo_status_t Write(void* closure, const unsigned char* data, unsigned int length) {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
  }
  void Font(double size, bool bold) {
    cairo_select_font_face(cr_, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr_, size);
  }
  void Room(double needed) {
    if (y_ + needed <= kHeight - kMargin) return;
    cairo_show_page(cr_);
    y_ = kMargin;
  }
  void Path(const std::vector<std::pair<double, double>>& pts, bool fill) {
    for (size_t i = 0; i < pts.size(); ++i) {
      if (i == 0)
        cairo_move_to(cr_, pts[i].first, pts[i].second);
      else
        cairo_line_to(cr_, pts[i].first, pts[i].second);
    }
    cairo_close_path(cr_);
    if (fill)
      cairo_fill(cr_);
    else
      cairo_stroke(cr_);
  }
  std::vector<std::string> Wrap(const std::string& text, double width) {
    std::vector<std::string> lines;
    std::string line, word;
    std::istringstream words(text);
    while (words >> word) {
      const std::string candidate = line.empty() ? word : line + " " + word;
      cairo_text_extents_t ext;
      cairo_text_extents(cr_, candidate.c_str(), &ext);
      if (ext.x_advance > width && !line.empty()) {
        lines.push_back(line);
        line = word;
      } else {
        line = candidate;
      }
    }
    if (!line.empty()) lines.push_back(line);
    return lines;
  }

  std::string out_;
  cairo_surface_t* surface_ = nullptr;
  cairo_t* cr_ = nullptr;
  double y_ = kMargin;
};

std::string Fill(std::string s, const std::string& key, const std::string& value) {
  const std::string k = "{" + key + "}";
  for (size_t at = s.find(k); at != std::string::npos; at = s.find(k, at + value.size()))
    s.replace(at, k.size(), value);
  return s;
}

void Summary(PdfWriter& w, const ReportInput& in) {
  const std::string& L = in.language;
  const json& s = in.version->score;
  w.Heading(ReportLabel("summary", L));
  w.Text(ReportLabel("overall", L) + ": " + OneDecimal(s.value("overall", 0.0)) + " / 100", 16,
         true);
  w.Text(ReportLabel("tier", L) + ": " + s["tier"].value("title", ""), 11, true);
  w.Text(ReportLabel("answered", L) + ": " + std::to_string(s.value("answered", 0)) + " / " +
         std::to_string(s.value("total", 0)));
  std::string blocked;
  for (const auto& st : s.value("blocked_stages", json::array())) {
    const Stage* stage = in.framework->FindStage(st.get<std::string>());
    blocked += (blocked.empty() ? "" : ", ") + (stage ? stage->title.In(L) : st.get<std::string>());
  }
  if (blocked.empty())
    w.Text(ReportLabel("not_blocked", L), 10, false, kGreen);
  else
    w.Text(ReportLabel("blocked", L) + ": " + blocked, 10, true, kRed);
  if (in.baseline != nullptr)
    w.Text(ReportLabel("baseline", L) + ": " + in.baseline->assessment_id + " v" +
               std::to_string(in.baseline->version) + " (" + UtcDay(in.baseline->scored_at) +
               "): " + OneDecimal(in.baseline->score.value("overall", 0.0)),
           9, false, kMuted);
}

void Pillars(PdfWriter& w, const ReportInput& in) {
  const std::string& L = in.language;
  w.Heading(ReportLabel("pillars", L));
  std::vector<double> current, baseline;
  std::vector<std::string> labels;
  std::map<std::string, double> before;
  if (in.baseline != nullptr) {
    for (const auto& p : in.baseline->score.value("pillars", json::array())) {
      before[p.value("id", "")] = p.value("score", 0.0);
      baseline.push_back(p.value("score", 0.0));
    }
  }
  for (const auto& p : in.version->score["pillars"]) {
    current.push_back(p.value("score", 0.0));
    labels.push_back(p.value("title", "") + " " + OneDecimal(p.value("score", 0.0)));
  }
  w.Radar(current, baseline, labels);
  for (const auto& p : in.version->score["pillars"]) {
    std::string line = p.value("title", "") + ": " + OneDecimal(p.value("score", 0.0)) + " (" +
                       std::to_string(p.value("answered", 0)) + "/" +
                       std::to_string(p.value("total", 0)) + ")";
    if (const auto it = before.find(p.value("id", "")); it != before.end()) {
      const double d = p.value("score", 0.0) - it->second;
      line += "  " + ReportLabel("change", L) + " " + (d >= 0 ? "+" : "") + OneDecimal(d);
    }
    w.Text(line);
  }
}

void GatesAndGaps(PdfWriter& w, const ReportInput& in) {
  const std::string& L = in.language;
  w.Heading(ReportLabel("gates", L));
  for (const auto& g : in.version->score.value("gates", json::array())) {
    const std::string status = g.value("status", "unknown");
    w.Text("[" + ReportLabel(status, L) + "] " + g.value("title", ""), 10, status != "met",
           status == "met" ? kGreen : kRed);
    if (status == "met") continue;
    w.Text(g.value("text", ""), 9, false, kInk, 14);
    w.Text(g.value("action", ""), 9, false, kBrand, 14);
  }
  w.Heading(ReportLabel("gaps", L));
  int n = 0;
  for (const auto& g : in.version->score.value("gaps", json::array())) {
    const int level = g.value("level", 0);
    w.Text(std::to_string(++n) + ". " + g.value("pillar_title", "") + ": " + g.value("text", "") +
           " (" + ReportLabel("level", L) + " " +
           (level == 0 ? ReportLabel("unanswered", L) : std::to_string(level)) + " → " +
           std::to_string(g.value("target", 0)) + ", " + ReportLabel("priority", L) + " " +
           OneDecimal(g.value("priority", 0.0)) + ")");
  }
}

void Roadmap(PdfWriter& w, const ReportInput& in) {
  const std::string& L = in.language;
  w.Heading(ReportLabel("roadmap", L));
  for (const auto& st : in.version->score.value("roadmap", json::array())) {
    w.Text(st.value("title", ""), 12, true, kBrand);
    if (st["actions"].empty()) w.Text(ReportLabel("nothing", L), 9, false, kMuted, 14);
    int n = 0;
    for (const auto& a : st["actions"]) {
      const bool gate = a.value("kind", "") == "gate";
      w.Text(std::to_string(++n) + ". " +
                 (gate ? "[" + ReportLabel("required", L) + "] " : std::string()) +
                 a.value("text", ""),
             10, gate, gate ? kRed : kInk, 14);
    }
    w.Space(4);
  }
}

void Appendix(PdfWriter& w, const ReportInput& in) {
  const std::string& L = in.language;
  const Answers answers = StoredAnswers(in.version->answers);
  w.Heading(ReportLabel("appendix", L));
  for (const auto& q : in.framework->questions) {
    w.Text(q.id + " · " + q.text.In(L), 9, true);
    const auto it = answers.questions.find(q.id);
    if (it == answers.questions.end() || it->second.level == 0) {
      w.Text(ReportLabel("unanswered", L), 9, false, kMuted, 14);
      continue;
    }
    const Answer& a = it->second;
    std::string line = std::to_string(a.level) + " · " +
                       q.levels[static_cast<size_t>(a.level - 1)].In(L) + " (" +
                       ReportLabel(a.source == "evidence" ? "evidence" : "user", L);
    if (a.evidence_level > 0)
      line += ": " + a.signal + " = " +
              a.observed.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    line += ")";
    if (a.source == "user" && !a.reason.empty())
      line += "; " + Fill(Fill(ReportLabel(a.evidence_level > 0 ? "override" : "note", L), "level",
                               std::to_string(a.evidence_level)),
                          "reason", a.reason);
    w.Text(line, 9, false, kInk, 14);
  }
  w.Heading(ReportLabel("facts", L));
  for (const auto& f : in.framework->facts) {
    const auto it = answers.facts.find(f.id);
    const std::string v =
        it == answers.facts.end() ? ReportLabel("unanswered", L)
        : it->second.is_boolean()
            ? ReportLabel(it->second.get<bool>() ? "yes" : "no", L)
            : it->second.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    w.Text(f.text.In(L) + ": " + v, 9);
  }
}

}  // namespace

Result<std::string> ReportPdf(const ReportInput& in) {
  const std::string& L = in.language;
  PdfWriter w;
  w.SetTitle(ReportLabel("report", L) + ": " + in.assessment->organisation);
  w.Text(ReportLabel("report", L) + ": " + in.assessment->organisation, 20, true, kBrand);
  w.Text(in.assessment->title + " · " + in.framework->title.In(L) + " (" + in.framework->Name() +
             ") · " + ReportLabel("version", L) + " " + std::to_string(in.version->version) +
             " · " + ReportLabel("scored", L) + " " + UtcDay(in.version->scored_at),
         9, false, kMuted);
  Summary(w, in);
  Pillars(w, in);
  GatesAndGaps(w, in);
  Roadmap(w, in);
  if (!in.version->narrative.empty()) {
    w.Heading(ReportLabel("narrative", L));
    w.Text(Fill(ReportLabel("generated", L), "model", in.version->narrative_model), 9, false,
           kMuted);
    w.Text(in.version->narrative);
  }
  Appendix(w, in);
  return w.Finish();
}

}  // namespace daulat::assessment
