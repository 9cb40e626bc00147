// Request fields decoded from the fuzzer's bytes. Each mixes ordinary values
// (ids that exist, amounts the payer covers, so that calls get past the
// checks and commit) with what a hostile client sends: ids that are empty,
// over-long, non-UTF-8 or with a NUL inside; amounts of zero, below zero,
// INT64_MIN, INT64_MAX and the exact edges of a balance; reused request ids.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "coro/cancellation.h"
#include "service/ledger/caller.h"
#include "tests/fuzz/fuzz_bytes.h"
#include "tests/fuzz/ledger_model.h"

namespace ledger::fuzz {

// Admin without a principal (a server without authentication), an admin
// principal, two ordinary owners, and a caller with neither principal nor
// role, who owns nothing it opens.
const Caller& PickCaller(FuzzBytes& in);
std::string CallerName(const Caller& caller);

// Also ids of accounts the model knows, so that calls find them.
std::string PickAccountId(FuzzBytes& in, const LedgerModel& model);
int64_t PickInitialBalance(FuzzBytes& in);
// Amounts at the edges of `from`'s and `to`'s balances where they exist.
int64_t PickAmount(FuzzBytes& in, const LedgerModel& model, const std::string& from_id,
                   const std::string& to_id);

// Fresh ids ("r<n>"), ids already sent (`sent`), and bad ones.
class RequestIds {
 public:
  std::string Pick(FuzzBytes& in);
  std::string Fresh(const char* prefix);
  void Sent(const std::string& request_id) { sent_.push_back(request_id); }

 private:
  uint64_t next_ = 0;
  std::vector<std::string> sent_;
};

uint32_t PickLimit(FuzzBytes& in);

// Mostly none; sometimes a call already cancelled by its client, or already
// past its deadline, which must then answer `code` and change nothing.
struct CallStop {
  coro::Cancellation cancellation;
  absl::StatusCode code = absl::StatusCode::kOk;
};
CallStop PickCallStop(FuzzBytes& in);

}  // namespace ledger::fuzz
