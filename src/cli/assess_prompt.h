#pragma once

#include <istream>
#include <ostream>
#include <string>

#include "assessment/scoring.h"

namespace daulat::cli {

// The questionnaire in a terminal: each question with its five anchored
// levels (evidence shown as the default), then the facts the gates read.
// Enter keeps the default or skips, "q" stops (what is answered is kept),
// end of input stops too. Overriding evidence asks for a reason. Bad input
// is explained and asked again; nothing here fails.
void AskQuestions(const assessment::Framework& f, const std::string& language, std::istream& in,
                  std::ostream& out, assessment::Answers& answers);

}  // namespace daulat::cli
