// What fails a soak, decided from its samples alone, so that the rule can be
// tested on made-up series and stated in one place.
//
// Each sample is taken at a quiet moment: the load paused, every call ended,
// and the server's own gauge of calls in flight at 0. So coroutine frames are
// compared at the same load (none), and memory without the buffers of calls
// in flight.
//
// The rule, per mode:
// - Total: the sum of the balances of the mode's accounts equals what they
//   were opened with at every sample. Transfers among them may not change it.
// - Growth: the samples taken after each period of load are cut in thirds;
//   the first third (and what does not divide) is warm-up, and the median of
//   the last third is compared with the median of the middle third.
//   - Frames: the last median may exceed the middle one by at most
//     `frames_tolerance`.
//   - Memory: the embedded store keeps every transfer and account for good,
//     so resident memory grows with the ledger however well the server
//     behaves. Each sample's memory is first reduced by `bytes_per_record`
//     for each record the store holds (transfers committed, accounts opened);
//     the last median of what remains may exceed the middle one by at most
//     `memory_tolerance` of the middle third's median resident memory.
// - Quiet: at every sample the server reported no call of the mode in flight
//   (within seconds of the pause); a call it keeps with no client waiting
//   is a leak of its own.
// - Audits: no Audit found an account whose journal does not add up.
// With fewer than 3 samples after the start there are no thirds, and growth
// is not judged (the verdict says so).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ledger::load {

struct SoakSample {
  std::string at;             // when, in load time ("3m00s"), for the messages
  double resident_bytes = 0;  // process_resident_memory_bytes
  double frames = 0;          // ledger_coroutine_frames
  double inflight = 0;        // the mode's calls in flight: 0 unless the server never got quiet
  int64_t total = 0;          // the balances of the mode's accounts, summed
  int64_t records = 0;        // transfers and accounts in the server's store
  int64_t inconsistent_audits = 0;  // in the period before the sample
};

struct SoakRule {
  double memory_tolerance = 0.10;  // a fraction of the middle third's median memory
  double bytes_per_record = 1024;
  double frames_tolerance = 16;
};

struct SoakVerdict {
  std::vector<std::string> failures;  // each says why the soak fails
  std::vector<std::string> findings;  // what was judged and found, failed or not
  bool passed() const { return failures.empty(); }
};

// `samples` starts with the one taken before any load; `expected_total` is
// what the accounts were opened with.
SoakVerdict JudgeSoak(const std::vector<SoakSample>& samples, int64_t expected_total,
                      const SoakRule& rule);

}  // namespace ledger::load
