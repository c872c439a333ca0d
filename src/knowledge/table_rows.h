#pragma once

#include <string>
#include <vector>

#include "knowledge/document_parser.h"

namespace daulat::knowledge {

// One table as a parser found it: rows of cell texts, the first row being
// the column headers when `has_header` (HTML <th>, a Markdown header row,
// the first row of a Word table, spreadsheet or CSV file).
struct Table {
  std::string caption;  // HTML <caption>; empty: see AppendTable
  std::vector<std::vector<std::string>> rows;
  bool has_header = false;
  int page = 0;
};

// Appends a table's blocks to `doc`. A row found far from its header ("3 |
// 150.00 | 5") says nothing on its own, so with a header each data row reads
// "Gred: 3; Elaun (RM): 150.00; Cuti: 5". Each row carries the table's
// caption (without one, a short paragraph right before the table, such as
// "Jadual 2: Kadar elaun"), which the chunker adds to its section path.
void AppendTable(ParsedDocument& doc, Table table);

}  // namespace daulat::knowledge
