#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "assessment/assessments.h"
#include "assessment/framework.h"
#include "common/status.h"

namespace daulat::assessment {

// What a report shows: one scored version of an assessment, the baseline it
// is compared with (if any), in one language ("en" or "ms").
struct ReportInput {
  const Framework* framework = nullptr;
  const Assessment* assessment = nullptr;
  const ScoredVersion* version = nullptr;
  const ScoredVersion* baseline = nullptr;  // may be null
  std::string language = "en";
};

// `v` with its scorecard re-rendered in `language` from its own answers and
// target level (the numbers are the same; the stored scorecard is English).
ScoredVersion InLanguage(const Framework& f, ScoredVersion v, const std::string& language);

// The report as JSON: the scorecard in the report's language, answers,
// narrative (marked generated) and baseline.
nlohmann::json ReportJson(const ReportInput& in);

// A self-contained HTML document: no script, no external resource; the
// radar chart is inline SVG. Every text from answers is escaped.
std::string ReportHtml(const ReportInput& in);

// The same report as a PDF (A4, vector radar chart, DejaVu Sans), made with cairo.
Result<std::string> ReportPdf(const ReportInput& in);

// Corners of a radar chart of `values` (0..100) around (cx, cy) with
// radius r; the first axis points up, then clockwise.
std::vector<std::pair<double, double>> RadarPoints(const std::vector<double>& values, double cx,
                                                   double cy, double r);

// "37.1": scores as reports print them.
std::string OneDecimal(double v);

// Report labels in the report's language.
const std::string& ReportLabel(const std::string& key, const std::string& language);

}  // namespace daulat::assessment
