#include "engine/cpu_threadpool.h"

#include <ggml-backend.h>
#include <ggml-cpu.h>
#include <llama.h>

#include "engine/llama_runtime.h"

namespace daulat::engine {

Result<std::unique_ptr<CpuThreadPool>> CpuThreadPool::Create(int threads) {
  EnsureLlamaRuntime();
  // Looked up through the backend registry, as llama-bench does, so this also
  // works when ggml loads its CPU backend dynamically.
  auto* dev = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
  if (dev == nullptr) return Internal("ggml has no CPU backend");
  auto* reg = ggml_backend_dev_backend_reg(dev);
  auto* new_fn = reinterpret_cast<decltype(ggml_threadpool_new)*>(
      ggml_backend_reg_get_proc_address(reg, "ggml_threadpool_new"));
  auto* free_fn = reinterpret_cast<decltype(ggml_threadpool_free)*>(
      ggml_backend_reg_get_proc_address(reg, "ggml_threadpool_free"));
  if (new_fn == nullptr || free_fn == nullptr)
    return Internal("ggml's CPU backend has no thread pool API");
  ggml_threadpool_params params = ggml_threadpool_params_default(threads);
  params.poll = 50;
  ggml_threadpool* pool = new_fn(&params);
  if (pool == nullptr)
    return ResourceExhausted("could not start " + std::to_string(threads) + " CPU threads");
  return std::unique_ptr<CpuThreadPool>(new CpuThreadPool(pool, free_fn));
}

CpuThreadPool::~CpuThreadPool() {
  free_(pool_);
}

void CpuThreadPool::AttachTo(llama_context* ctx) const {
  llama_attach_threadpool(ctx, pool_, nullptr);
}

}  // namespace daulat::engine
