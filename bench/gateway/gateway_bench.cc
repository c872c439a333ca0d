// gateway_bench: what the governance pipeline costs, against an anchor
// measured in the same run.
//   1. Per-request overhead of the one governed path (authenticate with a
//      real API key, authorise, policy, quota admission and token
//      reservation, PII scan and masking of a 1 KB prompt, chat template,
//      the hop off the scheduler's thread, output guard, audit record,
//      metering) vs the anchor: the same one-token generation submitted
//      straight to the same scheduler (a tiny generated model, so the
//      model's own time is small and identical on both sides).
//      Target: < 0.1 ms added at p50.
//   2. Audit appends per second through the background writer (durable
//      group commits, synchronous=FULL), from 4 threads. Target: >= 10,000/s.
//   3. Full verification of a log of --records records (default 1,000,000):
//      every leaf re-hashed, the tree rebuilt, every checkpoint checked.
//      Target: < 10 s.
//   4. With --database-url (an empty scratch PostgreSQL database): audit
//      appends per second cluster-wide, three nodes (each its own database
//      handle, log and writer, as three servers would have) appending at
//      once into the one log, against 2 on SQLite; then the whole log
//      verified from one node. Target: >= 10,000/s cluster-wide.
//   build/bench/gateway/gateway_bench [--requests N] [--records N] [--dir DIR]
//                                     [--database-url postgresql://...]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <thread>
#include <vector>

#include "common/log.h"
#include "gateway/generation_service.h"
#include "gateway/stages.h"
#include "gateway/usage_meter.h"
#include "governance/audit_log.h"
#include "governance/audit_writer.h"
#include "governance/pii_guard.h"
#include "tiny_model.h"

namespace {

using namespace daulat;
using Steady = std::chrono::steady_clock;

double Ms(Steady::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

// About 1 KB of a realistic prompt: Malay and English, with a MyKad, a phone
// number and an email for the guard to find.
std::string Prompt() {
  std::string p =
      "Sila semak permohonan lesen perniagaan ini. Pemohon: Siti Aminah binti Abdullah, MyKad "
      "900101-14-5678, telefon 012-345 6789, emel siti.aminah@contoh.com.my. ";
  while (p.size() < 1024)
    p += "The applicant runs a small catering company in Shah Alam and requests renewal of the "
         "premises licence for the coming year; supporting documents are attached. ";
  return p.substr(0, 1024);
}

gateway::RequestContext Request(const std::string& key) {
  gateway::RequestContext ctx;
  ctx.route = "/v1/chat/completions";
  ctx.permission = gateway::Permission::kInfer;
  ctx.authorization = "Bearer " + key;
  return ctx;
}

struct Timing {
  double p50, p99;
};

Timing Summarise(const std::vector<double>& ms) {
  return {Percentile(ms, 0.5), Percentile(ms, 0.99)};
}

// The anchor: one greedy token straight from the scheduler, no governance.
Timing RunAnchor(gateway::HostedModel& m, const std::string& prompt, int n) {
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    const auto t0 = Steady::now();
    auto rendered = m.chat_template->Apply({{"user", prompt}});
    engine::InferenceRequest req;
    req.partition = "bench";
    req.prompt = m.model->Tokenize(rendered->text, true, true);
    req.params.temperature = 0;
    req.params.max_tokens = 1;
    std::promise<void> done;
    auto ticket = m.scheduler->Submit(std::move(req), [&done](engine::InferenceUpdate&& u) {
      if (u.finished) done.set_value();
    });
    if (!ticket.ok()) std::exit(1);
    done.get_future().wait();
    ms.push_back(Ms(Steady::now() - t0));
  }
  return Summarise(ms);
}

// The governed path: the same call as a /v1 request through the pipeline
// and the generation service.
// Where the governed path's time goes (ms per request).
struct Parts {
  std::vector<double> admit, begin, run, complete;
};

Timing RunGoverned(const gateway::Pipeline& pipeline, gateway::GenerationService& service,
                   const std::string& key, const std::string& prompt, int n,
                   Parts* parts = nullptr) {
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    const auto t0 = Steady::now();
    auto ctx = Request(key);
    Status st = pipeline.Admit(ctx);
    const auto t1 = Steady::now();
    auto level =
        st.ok() ? gateway::GenerationService::DeclaredLevel(ctx) : Result<Classification>(st);
    auto g = level.ok() ? service.Begin(ctx, "tiny", *level)
                        : Result<std::unique_ptr<gateway::Generation>>(level.status());
    const auto t2 = Steady::now();
    if (!g.ok()) {
      std::fprintf(stderr, "gateway_bench: refused: %s\n", g.status().ToString().c_str());
      std::exit(1);
    }
    gateway::GenerationRequest r;
    r.messages = {{"user", prompt}};
    r.params.temperature = 0;
    r.params.max_tokens = 1;
    const auto out = (*g)->Run(std::move(r));
    const auto t3 = Steady::now();
    ctx.http_status = out.status.ok() ? 200 : 500;
    pipeline.Complete(ctx);
    const auto t4 = Steady::now();
    ms.push_back(Ms(t4 - t0));
    if (parts != nullptr) {
      parts->admit.push_back(Ms(t1 - t0));
      parts->begin.push_back(Ms(t2 - t1));
      parts->run.push_back(Ms(t3 - t2));
      parts->complete.push_back(Ms(t4 - t3));
    }
  }
  return Summarise(ms);
}

governance::AuditRecord BenchRecord(const std::string& actor) {
  governance::AuditRecord r;
  r.tenant_id = "jpn";
  r.actor = actor;
  r.action = "inference";
  r.resource = "/v1/chat/completions";
  r.model = "gemma3-270m";
  r.classification = "TERHAD";
  r.decision = "allow";
  r.reason = "HTTP 200: policy v0 allows 'gemma3-270m' on local for TERHAD";
  r.pii_counts = {{"MYKAD", 1}};
  r.content_hash = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  return r;
}

// Records per second from `threads` threads per writer, `per_thread` each.
double Appends(const std::vector<governance::AuditWriter*>& writers, int threads, int per_thread) {
  const auto t0 = Steady::now();
  std::vector<std::thread> running;
  for (size_t w = 0; w < writers.size(); ++w) {
    for (int t = 0; t < threads; ++t) {
      running.emplace_back([writer = writers[w], w, t, per_thread] {
        const auto r = BenchRecord("key:node" + std::to_string(w) + "-" + std::to_string(t));
        for (int i = 0; i < per_thread; ++i) {
          while (!writer->Submit(r)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      });
    }
  }
  for (auto& t : running) t.join();
  for (auto* w : writers) w->Flush();
  const double seconds = Ms(Steady::now() - t0) / 1000.0;
  return static_cast<double>(writers.size()) * threads * per_thread / seconds;
}

// Section 4: three nodes appending into one PostgreSQL log.
int ClusterAppends(const std::string& url, double sqlite_rate) {
  constexpr int kNodes = 3;
  std::vector<std::unique_ptr<store::Database>> dbs;
  std::vector<std::unique_ptr<governance::AuditLog>> logs;
  std::vector<std::unique_ptr<governance::AuditWriter>> writers;
  auto signer = std::move(governance::CheckpointSigner::Generate("daulat-bench")).value();
  for (int n = 0; n < kNodes; ++n) {
    auto db = store::OpenDatabase(url);
    if (!db.ok()) {
      std::fprintf(stderr, "gateway_bench: %s\n", db.status().ToString().c_str());
      return 1;
    }
    auto log = governance::AuditLog::Open(**db, signer);
    if (!log.ok()) {
      std::fprintf(stderr, "gateway_bench: %s\n", log.status().ToString().c_str());
      return 1;
    }
    dbs.push_back(std::move(db).value());
    logs.push_back(std::move(log).value());
  }
  if (logs.front()->size() != 0) {
    std::fprintf(stderr, "gateway_bench: give --database-url an empty scratch database\n");
    return 2;
  }
  std::vector<governance::AuditWriter*> raw;
  for (auto& log : logs) {
    writers.push_back(std::make_unique<governance::AuditWriter>(*log));
    raw.push_back(writers.back().get());
  }
  const double rate = Appends(raw, 2, 10000);
  for (auto& w : writers) w->Stop();
  (void)logs.back()->Checkpoint();
  const auto v0 = Steady::now();
  const auto v = governance::AuditLog::Verify(*dbs.front(), logs.front()->verifier_key());
  std::printf(
      "audit appends, %d nodes on PostgreSQL: %.0f records/s cluster-wide (target >= 10000); "
      "ratio to one node on SQLite %.2f\n",
      kNodes, rate, rate / sqlite_rate);
  std::printf("  verified from node 1: %llu records, %llu checkpoints in %.2f s (%s)\n",
              static_cast<unsigned long long>(v.records),
              static_cast<unsigned long long>(v.checkpoints), Ms(Steady::now() - v0) / 1000.0,
              v.status.ok() ? "ok" : v.status.ToString().c_str());
  return v.status.ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"daulat gateway pipeline and audit log benchmark"};
  int requests = 2000;
  int64_t records = 1'000'000;
  std::string dir = (std::filesystem::temp_directory_path() / "daulat-gateway-bench").string();
  app.add_option("--requests", requests, "Requests per side")->check(CLI::Range(100, 1000000));
  app.add_option("--records", records, "Audit records to verify")
      ->check(CLI::Range(1000, 100000000));
  app.add_option("--dir", dir, "Scratch folder (deleted first)");
  std::string database_url;
  app.add_option("--database-url", database_url,
                 "An empty scratch PostgreSQL database: also measure three nodes appending to "
                 "one audit log there");
  CLI11_PARSE(app, argc, argv);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  auto db = std::move(store::OpenSqlite(dir + "/daulat.db")).value();
  auto ids = std::move(identity::IdentityStore::Open(*db)).value();
  auto policies = std::move(governance::PolicyStore::Open(*db)).value();
  auto signer = std::move(governance::CheckpointSigner::Generate("daulat-bench")).value();
  auto log = std::move(governance::AuditLog::Open(*db, signer)).value();
  governance::AuditWriter writer(*log);
  (void)ids->CreateTenant("jpn", "JPN");
  identity::ApiKeyOptions o;
  o.name = "bench";
  o.limits = {1'000'000, 0};
  const std::string key = ids->CreateApiKey("jpn", o)->secret;
  gateway::LocalQuotaBook quotas;
  const governance::PiiGuard guard;
  const std::string prompt = Prompt();

  // 1. Governance overhead on a real (tiny) model.
  if (!testing::InstallTinyModel(dir + "/models", "tiny").ok()) return 1;
  gateway::ModelServeConfig config{"tiny", {}, false};
  config.scheduler.parallel = 2;  // a slot, and its cached prefix, for each side
  config.scheduler.context_length = 4096;
  config.scheduler.threads = 1;
  auto host =
      std::move(gateway::ModelHost::Load(engine::ModelRegistry(dir + "/models"), {config})).value();
  gateway::GenerationServiceOptions go;
  go.models = host.get();
  go.policies = policies.get();
  go.pii_scan = [&guard](std::string_view t) { return guard.Scan(t); };
  go.quotas = &quotas;
  gateway::GenerationService service(std::move(go));
  std::vector<std::unique_ptr<gateway::Stage>> stages;
  stages.push_back(
      std::make_unique<gateway::KeyAuthenticator>(*ids, gateway::AnonymousAccess::kNone));
  stages.push_back(std::make_unique<gateway::Authoriser>());
  stages.push_back(std::make_unique<gateway::AuditStage>(writer));
  stages.push_back(std::make_unique<gateway::UsageLogger>());
  stages.push_back(std::move(gateway::UsageMeter::Open(*db)).value());
  const gateway::Pipeline full(std::move(stages));
  spdlog::set_level(spdlog::level::warn);           // the usage log line would measure the terminal
  RunAnchor(*host->models().front(), prompt, 100);  // warm up
  RunGoverned(full, service, key, prompt, 100);
  // Pairs, one request of each side after the other, so that drift on a
  // shared machine hits both alike; the overhead is the median difference.
  std::vector<double> anchor_ms, governed_ms, added_ms;
  Parts parts;
  for (int i = 0; i < requests; ++i) {
    const double x = RunAnchor(*host->models().front(), prompt, 1).p50;
    const double y = RunGoverned(full, service, key, prompt, 1, &parts).p50;
    anchor_ms.push_back(x);
    governed_ms.push_back(y);
    added_ms.push_back(y - x);
  }
  writer.Flush();
  std::printf("governed path (%d request pairs, 1 KB prompt with 3 identifiers, one token)\n",
              requests);
  std::printf("  anchor (scheduler directly)  p50 %.3f ms\n", Percentile(anchor_ms, 0.5));
  std::printf("  governed path                p50 %.3f ms  p99 %.3f ms\n",
              Percentile(governed_ms, 0.5), Percentile(governed_ms, 0.99));
  std::printf("  added: median of pair differences %.3f ms (target < 0.1 ms); ratio %.2f\n",
              Percentile(added_ms, 0.5),
              Percentile(governed_ms, 0.5) / std::max(Percentile(anchor_ms, 0.5), 1e-6));
  std::printf(
      "  parts p50: authenticate+authorise %.3f, policy+quota %.3f, model call %.3f, "
      "audit+metering %.3f ms\n",
      Percentile(parts.admit, 0.5), Percentile(parts.begin, 0.5), Percentile(parts.run, 0.5),
      Percentile(parts.complete, 0.5));
  host->Stop(false);

  // 2. Audit appends through the writer, 4 threads.
  const double append_rate = Appends({&writer}, 4, 50000);
  std::printf("audit appends: %d records at %.0f records/s (target >= 10000)\n", 4 * 50000,
              append_rate);

  // 3. Verification of a large log.
  const int64_t have = static_cast<int64_t>(log->size());
  for (int64_t i = have; i < records; i += 10000) {
    std::vector<governance::AuditRecord> batch;
    for (int64_t j = i; j < std::min(records, i + 10000); ++j) {
      governance::AuditRecord r;
      r.tenant_id = j % 2 ? "jpn" : "kkm";
      r.actor = "key:filler";
      r.action = "inference";
      r.decision = "allow";
      r.reason = "HTTP 200";
      batch.push_back(std::move(r));
    }
    if (!log->AppendBatch(std::move(batch)).ok()) return 1;
  }
  (void)log->Checkpoint();
  writer.Stop();
  const auto v0 = Steady::now();
  const auto v = governance::AuditLog::Verify(*db, log->verifier_key());
  const double verify_s = Ms(Steady::now() - v0) / 1000.0;
  std::printf("audit verify: %llu records, %llu checkpoints in %.2f s (%s; target < 10 s for 1M)\n",
              static_cast<unsigned long long>(v.records),
              static_cast<unsigned long long>(v.checkpoints), verify_s,
              v.status.ok() ? "ok" : v.status.ToString().c_str());
  std::filesystem::remove_all(dir);
  if (!v.status.ok()) return 1;
  return database_url.empty() ? 0 : ClusterAppends(database_url, append_rate);
}
