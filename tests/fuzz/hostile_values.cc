#include "tests/fuzz/hostile_values.h"

#include <iterator>
#include <limits>
#include <stop_token>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace ledger::fuzz {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

int64_t Clamp(__int128 value) {
  if (value > kMax) return kMax;
  if (value < kMin) return kMin;
  return static_cast<int64_t>(value);
}

const Caller kCallers[] = {
    Caller::Anyone(),
    Caller{.principal = "root", .admin = true},
    Caller{.principal = "alice", .admin = false},
    Caller{.principal = "bob", .admin = false},
    Caller{.principal = "", .admin = false},
};

}  // namespace

const Caller& PickCaller(FuzzBytes& in) { return kCallers[in.Pick(std::size(kCallers))]; }

std::string CallerName(const Caller& caller) {
  return absl::StrCat(caller.principal.empty() ? "(no principal)" : caller.principal,
                      caller.admin ? " as admin" : "");
}

std::string PickAccountId(FuzzBytes& in, const LedgerModel& model) {
  switch (in.Pick(16)) {
    case 0:
    case 1:
    case 2:
    case 3:
      return std::string(1, static_cast<char>('a' + in.Pick(4)));
    case 4:
    case 5:
    case 6: {
      const auto& accounts = model.accounts();
      if (accounts.empty()) return "a";
      auto it = accounts.begin();
      std::advance(it, in.Byte() % accounts.size());
      return it->first;
    }
    case 7:
      return "";
    case 8:
      return std::string(64, 'm');  // the longest valid id
    case 9:
      return std::string(65, 'm');  // one too long
    case 10:
      return in.Bytes(in.Byte() % 72);  // anything: non-UTF-8, NUL, spaces...
    case 11:
      return std::string("a\xff", 2);  // not UTF-8
    case 12:
      return std::string("a\0b", 3);  // a NUL inside
    case 13:
      return "\xc3\xa9";  // UTF-8, but not an id character
    case 14:
      return std::string(4096, 'x');
    default:
      return "Z-9.x_";  // every punctuation an id may hold
  }
}

int64_t PickInitialBalance(FuzzBytes& in) {
  switch (in.Pick(10)) {
    case 0:
    case 1:
      return 0;
    case 2:
    case 3:
      return int64_t{in.Byte()} * 1000;
    case 4:
      return kMax;
    case 5:
      return kMax / 2 + 1;  // two of them overflow a sum of balances
    case 6:
      return -1;
    case 7:
      return kMin;
    case 8:
      return static_cast<int64_t>(in.Bits64());
    default:
      return 1;
  }
}

int64_t PickAmount(FuzzBytes& in, const LedgerModel& model, const std::string& from_id,
                   const std::string& to_id) {
  const ModelAccount* from = model.Find(from_id);
  const ModelAccount* to = model.Find(to_id);
  const int64_t from_balance = from ? from->balance : 0;
  const int64_t to_balance = to ? to->balance : 0;
  switch (in.Pick(14)) {
    case 0:
    case 1:
    case 2:
    case 3:
      return 1 + in.Byte();
    case 4:
      return 0;
    case 5:
      return -1 - in.Byte();
    case 6:
      return kMin;
    case 7:
      return kMax;
    case 8:
      return static_cast<int64_t>(in.Bits64());
    case 9:
      return from_balance;  // empties the payer exactly
    case 10:
      return Clamp(__int128{from_balance} + 1);  // one more than it has
    case 11:
      return Clamp(__int128{kMax} - to_balance);  // fills the payee exactly
    case 12:
      return Clamp(__int128{kMax} - to_balance + 1);  // overflows it by one
    default:
      return in.Bits32();
  }
}

std::string RequestIds::Fresh(const char* prefix) { return absl::StrCat(prefix, next_++); }

std::string RequestIds::Pick(FuzzBytes& in) {
  switch (in.Pick(12)) {
    case 5:
    case 6:
    case 7:
      if (!sent_.empty()) return sent_[in.Byte() % sent_.size()];
      return Fresh("r");
    case 8:
      return "";
    case 9:
      return std::string(128, 'q');  // the longest valid one
    case 10:
      return std::string(129, 'q');  // one too long
    case 11:
      return in.Bytes(in.Byte() % 140);  // any bytes, a NUL or non-UTF-8 included
    default:
      return Fresh("r");
  }
}

uint32_t PickLimit(FuzzBytes& in) {
  switch (in.Pick(8)) {
    case 3:
      return 1 + in.Pick(8);
    case 4:
      return 255 + in.Pick(3);  // around one page of the store
    case 5:
      return std::numeric_limits<uint32_t>::max();
    case 6:
      return in.Bits32();
    case 7:
      return in.Byte();
    default:
      return 0;  // all
  }
}

CallStop PickCallStop(FuzzBytes& in) {
  switch (in.Pick(16)) {
    case 0: {
      std::stop_source source;
      source.request_stop();
      return {coro::Cancellation(source.get_token(), absl::InfiniteFuture()),
              absl::StatusCode::kCancelled};
    }
    case 1:
      return {coro::Cancellation(std::stop_token(), absl::InfinitePast()),
              absl::StatusCode::kDeadlineExceeded};
    default:
      return {};
  }
}

}  // namespace ledger::fuzz
