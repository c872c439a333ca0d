#pragma once

#include <functional>
#include <memory>
#include <string>

#include "cli/admin_stores.h"
#include "cli/generation_flags.h"
#include "cli/global_options.h"
#include "gateway/generation_service.h"
#include "governance/pii_guard.h"

namespace daulat::cli {

// The one governed path, in the terminal: the command's model behind its own
// scheduler, the data folder's policy for the tenant, daulat's PII rules,
// and one audit record per command (actor "cli:<login name>"), exactly as a
// server request would leave. The caller is the operator at the machine,
// acting as a member of `tenant` with `clearance` and `groups`.
class LocalGeneration {
 public:
  struct Caller {
    std::string tenant = "default";
    Classification clearance = Classification::kTerbuka;
    std::vector<std::string> groups;
  };
  // Verifies (progress bar on a terminal) and loads the model of `flags`.
  static Result<std::unique_ptr<LocalGeneration>> Open(const GlobalOptions& global,
                                                       const GenerationFlags& flags,
                                                       const Caller& caller,
                                                       const std::string& action);
  ~LocalGeneration();

  gateway::GenerationService& service() { return *service_; }
  gateway::RequestContext& context() { return ctx_; }
  // A fresh context for the next request of an interactive command (chat).
  void NextRequest();
  gateway::HostedModel& model() { return *host_->models().front(); }

  // One model call of a begun generation, Ctrl-C cancelling it.
  static gateway::GenerationOutcome RunInterruptible(
      gateway::Generation& g, gateway::GenerationRequest request,
      const std::function<void(const std::string&)>& on_text);

  // Appends the command's audit record (`status`: 200 done, else the
  // HTTP-style status of its failure). Its failure is the command's.
  Status Record(unsigned status, const std::string& error = "");

 private:
  LocalGeneration() = default;
  AdminStores stores_;
  governance::PiiGuard pii_;
  std::unique_ptr<gateway::ModelHost> host_;
  std::unique_ptr<gateway::GenerationService> service_;
  gateway::RequestContext ctx_;
};

}  // namespace daulat::cli
