// The libFuzzer entry point: each input is one FuzzRun on a fresh ledger.
// Built with clang and -fsanitize=fuzzer for `make fuzz`, and with the normal
// build into ledger_fuzz_replay, which replays the committed inputs in CTest.
#include <cstddef>
#include <cstdint>

#include "coro/thread_pool.h"
#include "tests/fuzz/fuzz_bytes.h"
#include "tests/fuzz/fuzz_run.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One worker for Audit's hashing, made once: starting a thread per input
  // would cost more than most inputs. Never destroyed, so it outlives every run.
  static coro::ThreadPool& workers = *new coro::ThreadPool(1);
  ledger::fuzz::FuzzBytes in(data, size);
  ledger::fuzz::FuzzRun(in, workers).Play();
  return 0;
}
