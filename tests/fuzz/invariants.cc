#include "tests/fuzz/invariants.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ledger::fuzz {
namespace {

// What the README's rules table answers, plus the codes of a call stopped by
// its client or its deadline. Anything else (INTERNAL, UNKNOWN, ...) from the
// ledger on the embedded store is a bug.
bool IsContractCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kDeadlineExceeded:
      return true;
    default:
      return false;
  }
}

std::string CodeNames(const std::set<absl::StatusCode>& codes) {
  return absl::StrJoin(codes, " or ", [](std::string* out, absl::StatusCode code) {
    absl::StrAppend(out, absl::StatusCodeToString(code));
  });
}

std::string Sha256(const std::string& bytes) {
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), hash, &length, EVP_sha256(), nullptr) != 1) {
    Violation("audit digest", "the fuzzer's own SHA-256 failed");
  }
  return std::string(reinterpret_cast<const char*>(hash), length);
}

}  // namespace

void Violation(std::string_view invariant, std::string_view detail) {
  std::fprintf(stderr, "ledger fuzzer: invariant '%.*s' violated: %.*s\n",
               static_cast<int>(invariant.size()), invariant.data(),
               static_cast<int>(detail.size()), detail.data());
  std::fflush(stderr);
  std::abort();
}

void CheckStatus(absl::FunctionRef<std::string()> call, const absl::Status& status,
                 const Expectation& expected, absl::StatusCode cancelled) {
  static const bool trace = std::getenv("LEDGER_FUZZ_TRACE") != nullptr;
  if (trace) std::fprintf(stderr, "%s: %s\n", call().c_str(), status.ToString().c_str());
  if (!status.ok()) {
    if (!IsContractCode(status.code())) {
      Violation("error codes", absl::StrCat(call(), " answered ", status.ToString(),
                                            ", a code outside the contract"));
    }
    if (status.message().empty()) {
      Violation("error codes",
                absl::StrCat(call(), " answered ", absl::StatusCodeToString(status.code()),
                             " without a message"));
    }
  }
  std::set<absl::StatusCode> allowed = expected.refusals;
  if (cancelled != absl::StatusCode::kOk) allowed.insert(cancelled);
  if (allowed.empty()) {
    if (!status.ok()) {
      Violation("rules", absl::StrCat(call(), " must succeed, got ", status.ToString()));
    }
    return;
  }
  if (status.ok()) {
    Violation("rules", absl::StrCat(call(), " must be refused with ", CodeNames(allowed),
                                    ", but it succeeded"));
  }
  if (!allowed.contains(status.code())) {
    Violation("rules", absl::StrCat(call(), " must be refused with ", CodeNames(allowed), ", got ",
                                    status.ToString()));
  }
}

void CheckReceipt(std::string_view invariant, const v1::TransferReceipt& actual,
                  v1::TransferReceipt& expected) {
  const bool fields_match =
      actual.sequence() == expected.sequence() && actual.request_id() == expected.request_id() &&
      actual.from_id() == expected.from_id() && actual.to_id() == expected.to_id() &&
      actual.amount() == expected.amount() && actual.from_balance() == expected.from_balance() &&
      actual.to_balance() == expected.to_balance();
  if (!fields_match) {
    Violation(invariant, absl::StrCat("receipt {", actual.ShortDebugString(), "}, expected {",
                                      expected.ShortDebugString(), "}"));
  }
  if (!actual.has_committed_at() || actual.committed_at().seconds() <= 0) {
    Violation(invariant,
              absl::StrCat("receipt {", actual.ShortDebugString(), "} has no commit time"));
  }
  if (!expected.has_committed_at()) {
    *expected.mutable_committed_at() = actual.committed_at();
  } else if (actual.committed_at().seconds() != expected.committed_at().seconds() ||
             actual.committed_at().nanos() != expected.committed_at().nanos()) {
    Violation(invariant, absl::StrCat("receipt {", actual.ShortDebugString(),
                                      "} changed its commit time from {",
                                      expected.committed_at().ShortDebugString(), "}"));
  }
}

std::string Int128ToString(__int128 value) {
  if (value == 0) return "0";
  const bool negative = value < 0;
  std::string digits;
  while (value != 0) {
    const int digit = static_cast<int>(value % 10);
    digits.insert(digits.begin(), static_cast<char>('0' + (negative ? -digit : digit)));
    value /= 10;
  }
  return negative ? "-" + digits : digits;
}

std::string ExpectedAuditDigest(const std::string& account_id,
                                const std::vector<const v1::TransferReceipt*>& entries) {
  std::string hash = Sha256(account_id);
  for (const v1::TransferReceipt* entry : entries) {
    hash = Sha256(absl::StrCat(hash, entry->sequence(), ":", entry->from_id(), ":", entry->to_id(),
                               ":", entry->amount()));
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : hash) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0xf]);
  }
  return hex;
}

}  // namespace ledger::fuzz
