// What a unary call costs in heap allocations in coro/, beyond what gRPC itself
// allocates for the same call. The same Echo call is served two ways in this
// process: by coro::Serve with a coroutine handler, and by a hand-written
// completion-queue state machine that allocates nothing of its own (the
// yardstick: gRPC's and protobuf's allocations alone). Both are called by the
// same blocking client. The difference per call is coro/'s cost, asserted
// exactly, so a change that adds an allocation to every call fails here.
//
// Every operator new of the process is replaced by a counting one, and the
// whole process is counted, client included. Counting only the server's queue
// thread looked more precise but is not: gRPC's I/O work for a call is done by
// whichever thread is polling at the moment (the client's thread or a queue
// thread), so a thread's share moves by a tenth of an allocation per call
// from one run to the next. The process as a whole makes the same allocations
// for every call; what differs between runs is a handful from gRPC's timers
// and background threads (a few per thousand calls, seen on a loaded
// machine). So the figure is taken from the total of many calls, rounded to
// a whole number per call: noise far below one allocation per call cannot
// change it. Nothing here is timed.
//
// Not built under the sanitizers: they replace operator new themselves.
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/async_unary_call.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <thread>

#include "coro/call_context.h"
#include "coro/completion_queue_threads.h"
#include "coro/serve.h"
#include "coro/task.h"
#include "tests/coro/echo_server.h"

namespace {

std::atomic<int64_t> allocations{0};

void Count() { allocations.fetch_add(1, std::memory_order_relaxed); }

void* Allocate(std::size_t size) {
  Count();
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}

void* AllocateAligned(std::size_t size, std::align_val_t alignment) {
  Count();
  void* memory = nullptr;
  const std::size_t align = std::max(static_cast<std::size_t>(alignment), sizeof(void*));
  if (posix_memalign(&memory, align, size == 0 ? 1 : size) != 0) throw std::bad_alloc();
  return memory;
}

}  // namespace

// Every form the program (or a library it loads) may call, so no allocation
// escapes the count and no memory is freed by a different allocator.
void* operator new(std::size_t size) { return Allocate(size); }
void* operator new[](std::size_t size) { return Allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return Allocate(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return operator new(size, std::nothrow);
}
void* operator new(std::size_t size, std::align_val_t alignment) {
  return AllocateAligned(size, alignment);
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  return AllocateAligned(size, alignment);
}
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  try {
    return AllocateAligned(size, alignment);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return operator new(size, alignment, std::nothrow);
}
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete[](void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete(void* memory, const std::nothrow_t&) noexcept { std::free(memory); }
void operator delete[](void* memory, const std::nothrow_t&) noexcept { std::free(memory); }
void operator delete(void* memory, std::align_val_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::align_val_t) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t, std::align_val_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::size_t, std::align_val_t) noexcept { std::free(memory); }
void operator delete(void* memory, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(memory);
}
void operator delete[](void* memory, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(memory);
}

namespace coro {
namespace {

using namespace test_support;  // Echo, EchoMessage, EchoService, Message

constexpr int kWarmUpCalls = 200;
constexpr int kMeasuredCalls = 1000;

// As many requests outstanding as coro::Serve keeps on its one queue, so gRPC
// matches each incoming call to a waiting request the same way for both.
constexpr int kOutstanding = kDefaultAcceptsPerQueue;

// The yardstick: the unary Echo served by the state machine of gRPC's own
// async examples, except that its calls live in a fixed array of slots that
// are constructed again in place for each call, so it allocates nothing itself
// and what its queue thread allocates is gRPC's (and protobuf's) alone. It
// makes the same gRPC calls as coro::Serve: AsyncNotifyWhenDone, RequestUnary,
// Finish, and it waits for the done tag before reusing a slot.
class HandWrittenEchoServer {
 public:
  HandWrittenEchoServer() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    queue_ = builder.AddCompletionQueue();
    server_ = builder.BuildAndStart();
    for (Slot& slot : slots_) Request(slot);
    thread_ = std::thread([this] { Poll(); });
  }
  ~HandWrittenEchoServer() {
    // No new request once shutdown begins, nor one still being made: the
    // queue is shut down right after, and a tag must not be started on it then.
    {
      std::lock_guard lock(requesting_);
      shutting_down_ = true;
    }
    server_->Shutdown();
    queue_->Shutdown();
    thread_.join();
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::unique_ptr<Echo::Stub> NewStub() const {
    return Echo::NewStub(grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
  }

 private:
  struct Call {
    grpc::ServerContext context;
    EchoMessage request;
    EchoMessage response;
    grpc::ServerAsyncResponseWriter<EchoMessage> responder{&context};
  };
  // Two tags per slot, told apart by address: one for the call's steps
  // (accepted, then finished) and one for gRPC's done notification.
  struct Slot;
  struct Tag {
    Slot* slot;
  };
  struct Slot {
    std::optional<Call> call;
    Tag step{this};
    Tag done{this};
    bool accepted = false;
    bool finished = false;
    bool done_arrived = false;
  };

  void Request(Slot& slot) {
    slot.call.emplace();
    slot.accepted = slot.finished = slot.done_arrived = false;
    slot.call->context.AsyncNotifyWhenDone(&slot.done);
    service_.RequestUnary(&slot.call->context, &slot.call->request, &slot.call->responder,
                          queue_.get(), queue_.get(), &slot.step);
  }

  void Poll() {
    void* raw_tag = nullptr;
    bool ok = false;
    while (queue_->Next(&raw_tag, &ok)) {
      auto* tag = static_cast<Tag*>(raw_tag);
      Slot& slot = *tag->slot;
      if (tag == &slot.done) {
        slot.done_arrived = true;
      } else if (!slot.accepted && !ok) {
        // Not accepted: the server is shutting down, and gRPC sends no done tag.
        slot.call.reset();
        continue;
      } else if (!slot.accepted) {
        slot.accepted = true;
        slot.call->response = slot.call->request;
        slot.call->responder.Finish(slot.call->response, grpc::Status::OK, &slot.step);
        continue;
      } else {
        slot.finished = true;
      }
      // The slot is free again once both the finish and the done tag are back.
      if (slot.finished && slot.done_arrived) {
        std::lock_guard lock(requesting_);
        if (shutting_down_) {
          slot.call.reset();
        } else {
          Request(slot);
        }
      }
    }
  }

  int port_ = 0;
  EchoService service_;
  std::unique_ptr<grpc::ServerCompletionQueue> queue_;
  std::unique_ptr<grpc::Server> server_;
  std::array<Slot, kOutstanding> slots_;
  std::mutex requesting_;
  bool shutting_down_ = false;
  std::thread thread_;
};

// The coroutine server: coro::Serve on one queue thread, as the yardstick
// has, its handler a coroutine.
void ServeEcho(EchoService& service, CompletionQueueThreads& queues) {
  Serve<&EchoService::RequestUnary>(
      service, queues,
      [](CallContext&, const EchoMessage& request, EchoMessage& response) -> Task<grpc::Status> {
        response = request;
        co_return grpc::Status::OK;
      });
}

void Call(Echo::Stub& stub) {
  grpc::ClientContext context;
  context.set_deadline(GiveUpDeadline());
  EchoMessage response;
  const grpc::Status status = stub.Unary(&context, Message("allocations", 7), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.text(), "allocations");
}

// The allocations of kMeasuredCalls calls, one after another, after a warm-up
// that connects the channel and fills gRPC's caches and pools.
int64_t Measure(Echo::Stub& stub) {
  for (int i = 0; i < kWarmUpCalls; ++i) Call(stub);
  const int64_t before = allocations.load();
  for (int i = 0; i < kMeasuredCalls; ++i) Call(stub);
  return allocations.load() - before;
}

// What coro/ allocates for each unary call, in the order it happens:
//   1. the frame of detail::AcceptAndServe (a Detached coroutine), which holds
//      the CallContext, request, response and responder: the call itself;
//   2. the shared state of the std::stop_source in that CallContext, which
//      libstdc++ allocates when the source is constructed;
//   3. the frame of the handler's Task;
//   4. the frame of ServerCall::Finish's Task.
// AcceptAndServe's replacement accept is the next call's frame 1, so it is
// not counted twice. The yardstick makes the same gRPC calls and none of these.
constexpr int64_t kCoroAllocationsPerUnaryCall = 4;

TEST(AllocationsTest, UnaryCallAllocatesOnlyItsFramesAndStopStateBeyondGrpc) {
  int64_t coroutine = 0;
  {
    EchoServer server(/*threads=*/1, ServeEcho);
    auto stub = server.NewStub();
    coroutine = Measure(*stub);
  }
  int64_t hand_written = 0;
  {
    HandWrittenEchoServer server;
    auto stub = server.NewStub();
    hand_written = Measure(*stub);
  }
  std::printf("allocations per unary call: coro::Serve %.3f, hand-written %.3f\n",
              static_cast<double>(coroutine) / kMeasuredCalls,
              static_cast<double>(hand_written) / kMeasuredCalls);
  // The count works at all: gRPC allocates for every call.
  ASSERT_GE(hand_written, kMeasuredCalls);
  const int64_t coro_per_call =
      std::llround(static_cast<double>(coroutine - hand_written) / kMeasuredCalls);
  EXPECT_EQ(coro_per_call, kCoroAllocationsPerUnaryCall)
      << "coro::Serve made " << coroutine << " allocations in " << kMeasuredCalls
      << " calls, the hand-written server " << hand_written;
}

}  // namespace
}  // namespace coro
