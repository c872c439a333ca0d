// daulat policy | usage: tenant policy and metering on the local data folder.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/admin_stores.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "gateway/usage_meter.h"

namespace daulat::cli {
namespace {

using nlohmann::json;

struct GovernanceFlags {
  std::string tenant = "default";
  bool json = false;
  std::string file;  // policy set: a JSON file, or - for stdin
  std::string from, to, group_by = "day", key;
};

int Policy(const GlobalOptions& g, const std::string& action, const GovernanceFlags& f) {
  auto s = AdminStores::Open(g);
  if (!s.ok()) return ReportError(s.status());
  if (!s->ids->GetTenant(f.tenant).ok())
    return ReportError(NotFound("no tenant '" + f.tenant + "'"));
  if (action == "show") {
    auto p = s->policies->Current(f.tenant);
    if (!p.ok()) return ReportError(p.status());
    std::puts(json::parse(governance::PolicyToJson(*p))
                  .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                  .c_str());
    return kExitOk;
  }
  if (action == "history") {
    auto h = s->policies->History(f.tenant);
    if (!h.ok()) return ReportError(h.status());
    json j = json::array();
    for (const auto& p : *h) j.push_back(json::parse(governance::PolicyToJson(p)));
    if (f.json) {
      std::puts(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
      for (const auto& p : *h)
        std::printf("v%lld\t%s\t%lld\n", static_cast<long long>(p.version), p.updated_by.c_str(),
                    static_cast<long long>(p.updated_at));
    }
    return kExitOk;
  }
  std::string text;
  if (f.file == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(f.file, std::ios::binary);
    if (!in) return ReportError(NotFound("cannot read " + f.file));
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto p = s->policies->Put(f.tenant, text, CliActor());
  if (!p.ok()) return ReportError(p.status());
  if (Status st = s->Record(f.tenant, "policy_changed", "policy:v" + std::to_string(p->version),
                            "written from the CLI");
      !st.ok())
    return ReportError(st);
  if (f.json) {
    std::puts(json::parse(governance::PolicyToJson(*p))
                  .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                  .c_str());
  } else {
    std::printf("policy v%lld stored for %s\n", static_cast<long long>(p->version),
                f.tenant.c_str());
  }
  return kExitOk;
}

int Usage(const GlobalOptions& g, const GovernanceFlags& f) {
  auto db = store::OpenDatabase(g.DatabaseLocation());
  if (!db.ok()) return ReportError(db.status());
  auto meter = gateway::UsageMeter::Open(**db);
  if (!meter.ok()) return ReportError(meter.status());
  gateway::UsageQuery q;
  q.from_day = f.from;
  q.to_day = f.to;
  q.key_id = f.key;
  if (Status st = gateway::ParseGroupBy(f.group_by, q); !st.ok())
    return ReportError(InvalidArgument("--group-by: " + st.message()));
  auto rows = (*meter)->Query(f.tenant, q);
  if (!rows.ok()) return ReportError(rows.status());
  json j = json::array();
  for (const auto& r : *rows) {
    j.push_back(gateway::UsageRowJson(r, q));
    if (!f.json) {
      std::string label = r.day;
      if (q.by_key) label += (label.empty() ? "" : "\t") + r.key_id;
      if (q.by_model) label += (label.empty() ? "" : "\t") + r.model;
      std::printf("%s\t%lld requests\t%lld prompt\t%lld completion tokens\n",
                  label.empty() ? "total" : label.c_str(), static_cast<long long>(r.requests),
                  static_cast<long long>(r.prompt_tokens),
                  static_cast<long long>(r.completion_tokens));
    }
  }
  if (f.json) std::puts(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  return kExitOk;
}

}  // namespace

void AddGovernanceCommands(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto f = std::make_shared<GovernanceFlags>();
  auto* policy = app.add_subcommand("policy", "Show, write and list a tenant's policy versions");
  policy->require_subcommand(1);
  for (const char* action : {"show", "set", "history"}) {
    auto* sub = policy->add_subcommand(
        action, action[0] == 's' && action[1] == 'h' ? "Print the current policy (JSON)"
                : action[1] == 'e'                   ? "Store a policy file as the next version"
                                                     : "List every version");
    sub->add_option("--tenant", f->tenant, "Tenant (default 'default')");
    sub->add_flag("--json", f->json, "Print JSON");
    if (std::string(action) == "set")
      sub->add_option("file", f->file, "Policy JSON file, or - for stdin (docs/governance.md)")
          ->required();
    sub->callback([&global, exit_code, f, action] { *exit_code = Policy(global, action, *f); });
  }
  auto* usage = app.add_subcommand("usage", "Requests and tokens by day, key and model");
  usage->add_option("--tenant", f->tenant, "Tenant (default 'default')");
  usage->add_option("--from", f->from, "First day, YYYY-MM-DD");
  usage->add_option("--to", f->to, "Last day, YYYY-MM-DD");
  usage->add_option("--group-by", f->group_by, "day, key, model (comma-separated; default day)");
  usage->add_option("--key", f->key, "Only this key (key:<id>)");
  usage->add_flag("--json", f->json, "Print JSON");
  usage->callback([&global, exit_code, f] { *exit_code = Usage(global, *f); });
}

}  // namespace daulat::cli
