// The fuzzer's checks. A broken invariant aborts the run with a message that
// names it, so libFuzzer records the input as a crash and a replay of the
// input says what broke.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "ledger/v1/ledger.pb.h"
#include "tests/fuzz/ledger_model.h"

namespace ledger::fuzz {

// Prints "ledger fuzzer: invariant '<invariant>' violated: <detail>" and aborts.
[[noreturn]] void Violation(std::string_view invariant, std::string_view detail);

// A call's status against what the model allows: success when it must
// succeed; otherwise a refusal with one of the expected codes (or, for a call
// made already cancelled, `cancelled`, its CANCELLED or DEADLINE_EXCEEDED),
// never a code outside the contract, and always with a message. With
// LEDGER_FUZZ_TRACE set in the environment, prints every call and its status
// (to see what an input does).
void CheckStatus(absl::FunctionRef<std::string()> call, const absl::Status& status,
                 const Expectation& expected, absl::StatusCode cancelled);

// A receipt field for field against the model's. The model learns committed_at
// from the first receipt of a commit it sees; every later one must repeat it.
void CheckReceipt(std::string_view invariant, const v1::TransferReceipt& actual,
                  v1::TransferReceipt& expected);

// Sums of balances are 128-bit: they may pass INT64_MAX.
std::string Int128ToString(__int128 value);

// Audit's digest, from its description in the README: h0 = SHA-256(account
// id); h = SHA-256(h || "<sequence>:<from_id>:<to_id>:<amount>") per entry;
// lowercase hex of the last.
std::string ExpectedAuditDigest(const std::string& account_id,
                                const std::vector<const v1::TransferReceipt*>& entries);

}  // namespace ledger::fuzz
