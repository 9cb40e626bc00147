// The workload's flags: the mix of operations, their sizes and seed, and the
// accounts they work on.
#include <algorithm>
#include <limits>
#include <random>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/load/options.h"
#include "contract/account_id.h"

ABSL_FLAG(std::string, mix, "get:40,transfer:40,list:10,stream:10",
          "Relative weights of the operations: get (GetAccount), transfer (Transfer), list "
          "(ListTransfers of --list_limit receipts), stream (one TransferStream of "
          "--stream_transfers transfers), open (OpenAccount of a new, empty account), import "
          "(one ImportTransfers of --import_transfers transfers), audit (Audit of an account). "
          "Left out means 0. With --soak the default is " +
              std::string(ledger::load::kSoakMix) + ".");
ABSL_FLAG(int, list_limit, 20, "ListTransfers: most receipts read per call.");
ABSL_FLAG(int, stream_transfers, 3, "TransferStream: transfers sent per stream.");
ABSL_FLAG(int, import_transfers, 10, "ImportTransfers: transfers sent per stream.");
ABSL_FLAG(int64_t, max_amount, 100,
          "Transfers move 1 .. max_amount cents, small against the balances so few are "
          "refused.");
ABSL_FLAG(uint64_t, seed, 1,
          "Seed of the operations, accounts and amounts drawn (and of Poisson arrivals): the "
          "same seed, the same sequence.");
ABSL_FLAG(int, accounts, 1000, "Accounts the load works on (at least 2).");
ABSL_FLAG(std::string, account_prefix, "",
          "Account ids are this prefix followed by 0 .. accounts-1. Default: a prefix unique "
          "to this run, so runs never collide.");
ABSL_FLAG(bool, existing, false,
          "Use existing accounts (--account_prefix + index) instead of opening them, e.g. "
          "those of an earlier run.");
ABSL_FLAG(int64_t, initial_balance, 1'000'000,
          "Balance (in cents) each opened account starts with.");
ABSL_FLAG(bool, shared_accounts, false,
          "Others may move money in or out of these accounts meanwhile: report a change in "
          "their total, but do not fail because of it.");

namespace ledger::load {
namespace {

// A prefix no other run picks: time and randomness, short enough to leave
// room for the index in an account id (contract/account_id.h).
std::string UniqueRunTag() {
  std::random_device entropy;
  return absl::StrCat("load-", absl::Hex(absl::ToUnixSeconds(absl::Now())), "-",
                      absl::Hex(entropy() & 0xffffff), "-");
}

}  // namespace

WorkloadOptions ReadWorkloadFlags(const CommandLine& command_line, bool soak, FlagErrors& errors) {
  WorkloadOptions workload;
  const std::string mix_text =
      soak && !command_line.Given("mix") ? std::string(kSoakMix) : absl::GetFlag(FLAGS_mix);
  if (absl::StatusOr<Mix> mix = ParseMix(mix_text); mix.ok()) {
    workload.mix = *mix;
  } else {
    errors.push_back(absl::StrCat("--mix=", mix_text, ": ", mix.status().message()));
  }
  workload.list_limit = absl::GetFlag(FLAGS_list_limit);
  if (workload.list_limit < 0 || workload.list_limit > 100'000) {
    errors.push_back(
        absl::StrCat("--list_limit=", workload.list_limit, " must be 0 (all) to 100000"));
  }
  workload.stream_transfers = absl::GetFlag(FLAGS_stream_transfers);
  if (workload.stream_transfers < 1 || workload.stream_transfers > 1000) {
    errors.push_back(
        absl::StrCat("--stream_transfers=", workload.stream_transfers, " must be 1 to 1000"));
  }
  workload.import_transfers = absl::GetFlag(FLAGS_import_transfers);
  if (workload.import_transfers < 1 || workload.import_transfers > 10'000) {
    errors.push_back(
        absl::StrCat("--import_transfers=", workload.import_transfers, " must be 1 to 10000"));
  }
  workload.max_amount = absl::GetFlag(FLAGS_max_amount);
  if (workload.max_amount < 1) errors.push_back("--max_amount must be at least 1");
  workload.seed = absl::GetFlag(FLAGS_seed);
  return workload;
}

// Also names the workload's accounts, and its request ids after the run.
AccountOptions ReadAccountFlags(WorkloadOptions& workload, FlagErrors& errors) {
  AccountOptions accounts;
  const int count = absl::GetFlag(FLAGS_accounts);
  if (count < 2 || count > 10'000'000) {
    errors.push_back(
        absl::StrCat("--accounts=", count, " must be 2 (a transfer needs two) to 10000000"));
  }
  accounts.prefix = absl::GetFlag(FLAGS_account_prefix);
  // The longest id this run makes: the prefix and the largest index.
  if (!IsValidAccountId(absl::StrCat(accounts.prefix, std::max(count, 1)))) {
    errors.push_back(absl::StrCat("--account_prefix=", accounts.prefix, ": account ids are 1 to ",
                                  kMaxAccountIdLength, " of [A-Za-z0-9_.-], index included"));
  }
  accounts.existing = absl::GetFlag(FLAGS_existing);
  if (accounts.existing && accounts.prefix.empty()) {
    errors.push_back("--existing needs the --account_prefix of the accounts to use");
  }
  accounts.initial_balance = absl::GetFlag(FLAGS_initial_balance);
  if (accounts.initial_balance < 0 ||
      (count > 0 && accounts.initial_balance > std::numeric_limits<int64_t>::max() / count)) {
    errors.push_back(absl::StrCat("--initial_balance=", accounts.initial_balance,
                                  " must be at least 0, and all accounts together must fit an "
                                  "int64"));
  }
  accounts.shared = absl::GetFlag(FLAGS_shared_accounts);
  const std::string run_tag = UniqueRunTag();
  if (accounts.prefix.empty()) accounts.prefix = absl::StrCat(run_tag, "a");
  workload.request_id_prefix = absl::StrCat(run_tag, "r");
  workload.open_prefix = absl::StrCat(run_tag, "n");
  if (count >= 2) workload.account_ids = AccountIds(accounts.prefix, count);
  return accounts;
}

}  // namespace ledger::load
