// The completion-queue tag. Every awaitable in coro/ derives from Operation and
// hands its own address to gRPC as the `void*` tag, so a completion costs one
// indirect call: no std::function, no lookup table, no allocation beyond the
// coroutine frame the awaitable lives in.
#pragma once

#include <coroutine>
#include <utility>

#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void* address);
extern "C" void __tsan_release(void* address);
#endif

namespace coro::detail {

// ThreadSanitizer cannot see the hand-off of a tag through gRPC's completion
// queue (Debian's gRPC is not instrumented), so it is annotated: whatever the
// starting thread did before handing the tag over happens-before whatever the
// completing thread does after taking it back.
inline void ReleaseToCompletionQueue([[maybe_unused]] void* tag) {
#if defined(__SANITIZE_THREAD__)
  __tsan_release(tag);
#endif
}
inline void AcquireFromCompletionQueue([[maybe_unused]] void* tag) {
#if defined(__SANITIZE_THREAD__)
  __tsan_acquire(tag);
#endif
}

class Operation {
 public:
  using CompleteFunction = void (*)(Operation* self, bool ok);

  explicit Operation(CompleteFunction complete) : complete_(complete) {}
  Operation(const Operation&) = delete;
  Operation& operator=(const Operation&) = delete;

  // The tag, for handing to gRPC right away.
  void* tag() {
    ReleaseToCompletionQueue(this);
    return this;
  }

  // Called by the thread that took the tag from the completion queue.
  static void Complete(void* tag, bool ok) {
    AcquireFromCompletionQueue(tag);
    auto* self = static_cast<Operation*>(tag);
    self->complete_(self, ok);
  }

 private:
  CompleteFunction complete_;
};

// The common case: the tag's arrival resumes the coroutine that started the
// operation, which then reads `ok`. gRPC returns every tag exactly once, so the
// awaiter (a member of the suspended frame) is alive when it arrives.
class ResumeOnCompletion : public Operation {
 public:
  ResumeOnCompletion() : Operation(&ResumeOnCompletion::Resume) {}

  bool ok() const { return ok_; }

 protected:
  std::coroutine_handle<> waiting_;

 private:
  static void Resume(Operation* base, bool ok) {
    auto* self = static_cast<ResumeOnCompletion*>(base);
    self->ok_ = ok;
    self->waiting_.resume();
  }

  bool ok_ = false;
};

}  // namespace coro::detail

namespace coro::detail {

// Awaits one gRPC operation. `start(tag)` begins it (e.g.
// `[&](void* tag) { writer.Finish(response, status, tag); }`); co_await yields
// gRPC's `ok`. The lambda is stored in the awaiter, which lives in the frame.
template <typename Start>
class StartedOperation final : public ResumeOnCompletion {
 public:
  explicit StartedOperation(Start start) : start_(std::move(start)) {}

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> waiting) {
    waiting_ = waiting;
    // From here on the tag may complete on another thread: touch nothing of
    // *this after handing it to gRPC.
    start_(tag());
  }
  bool await_resume() const noexcept { return ok(); }

 private:
  Start start_;
};

template <typename Start>
StartedOperation<Start> Await(Start start) {
  return StartedOperation<Start>(std::move(start));
}

}  // namespace coro::detail
