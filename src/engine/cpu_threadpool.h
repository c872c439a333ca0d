#pragma once

#include <memory>

#include "common/status.h"

struct ggml_threadpool;
struct llama_context;

namespace daulat::engine {

// A persistent CPU worker pool attached to a llama context. Without one, ggml
// starts and joins its worker threads on every forward pass, which costs
// several percent of single-token generation speed. Same settings as
// llama-bench and llama-server (moderate polling) so measurements compare.
// Must outlive every context it is attached to.
class CpuThreadPool {
 public:
  static Result<std::unique_ptr<CpuThreadPool>> Create(int threads);
  ~CpuThreadPool();
  CpuThreadPool(const CpuThreadPool&) = delete;
  CpuThreadPool& operator=(const CpuThreadPool&) = delete;

  void AttachTo(llama_context* ctx) const;

 private:
  using FreeFn = void (*)(ggml_threadpool*);
  CpuThreadPool(ggml_threadpool* pool, FreeFn free_fn) : pool_(pool), free_(free_fn) {}
  ggml_threadpool* pool_;
  FreeFn free_;
};

}  // namespace daulat::engine
