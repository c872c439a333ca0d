// A tenant's policy document (PUT /api/v1/policy, `daulat policy set FILE`).
// A policy that parses writes back to JSON that parses to the same policy.
#include <string>

#include "fuzz_support.h"
#include "governance/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace daulat;
  auto policy = governance::ParsePolicy(std::string(fuzz::Text(data, size)));
  if (!policy.ok()) return 0;
  const std::string json = governance::PolicyToJson(*policy);
  auto again = governance::ParsePolicy(json);
  if (!again.ok()) fuzz::PropertyFailed("a parsed policy, written back, does not parse");
  if (governance::PolicyToJson(*again) != json)
    fuzz::PropertyFailed("a parsed policy, written back and read again, changed");
  return 0;
}
