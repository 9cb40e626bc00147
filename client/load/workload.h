// What the load generator asks the ledger: a weighted mix of operations, one
// per RPC, over a fixed set of accounts, drawn from one seeded generator so that the
// same --seed gives the same sequence of operations (kinds, accounts,
// amounts) run after run and mode after mode. Only request ids differ
// between runs, because the ledger remembers them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/v1/ledger.pb.h"

namespace ledger::load {

// One call to make, one type per RPC.
struct GetAccount {
  v1::GetAccountRequest request;
};
struct Transfer {
  v1::TransferRequest request;
};
struct ListTransfers {
  v1::ListTransfersRequest request;
};
struct TransferStream {
  std::vector<v1::TransferRequest> requests;  // of one stream
};
// A new account with nothing in it: it costs the server what opening costs,
// yet creates no money and never takes part in a transfer, so the total of
// the run's accounts stays exact.
struct OpenAccount {
  v1::OpenAccountRequest request;
};
struct ImportTransfers {
  std::vector<v1::TransferRequest> requests;  // of one client stream
};
struct Audit {
  v1::AuditRequest request;
};
// New kinds go at the end: an operation's index names it in reports, and a
// mix of the first kinds draws the same sequence as before.
using Operation = std::variant<GetAccount, Transfer, ListTransfers, TransferStream, OpenAccount,
                               ImportTransfers, Audit>;

// Whatever is kept per kind of operation is indexed by Operation::index().
inline constexpr size_t kOperationKinds = std::variant_size_v<Operation>;
// The names used by --mix and in reports, in the variant's order.
inline constexpr std::array<absl::string_view, kOperationKinds> kOperationNames = {
    "get", "transfer", "list", "stream", "open", "import", "audit"};

// Relative weights, indexed as the operations.
struct Mix {
  std::array<int, kOperationKinds> weights = {40, 40, 10, 10, 0, 0, 0};
};
// Parses "get:40,transfer:40,list:10,stream:10"; a kind left out weighs 0.
absl::StatusOr<Mix> ParseMix(absl::string_view text);
// The kinds that weigh something, in ParseMix's grammar.
std::string FormatMix(const Mix& mix);

// The accounts of a run are `prefix` followed by 0 .. count-1.
std::vector<std::string> AccountIds(absl::string_view prefix, int count);

struct WorkloadOptions {
  Mix mix;
  std::vector<std::string> account_ids;  // at least two, for transfers
  uint64_t seed = 1;
  std::string request_id_prefix;  // unique per run: the ledger keeps request ids forever
  int list_limit = 20;            // ListTransfers reads at most this many receipts
  int stream_transfers = 3;       // requests per TransferStream
  int import_transfers = 10;      // requests per ImportTransfers
  std::string open_prefix;        // ids of accounts OpenAccount opens: unique per run
  int64_t max_amount = 100;       // transfers move 1 .. max_amount
};

// Not thread-safe: the driver draws from it on its one client thread.
class Workload {
 public:
  explicit Workload(WorkloadOptions options);

  Operation Next();
  uint64_t seed() const { return options_.seed; }

 private:
  // The request of each kind of operation, drawn.
  void Draw(GetAccount& get);
  void Draw(Transfer& transfer);
  void Draw(ListTransfers& list);
  void Draw(TransferStream& stream);
  void Draw(OpenAccount& open);
  void Draw(ImportTransfers& import);
  void Draw(Audit& audit);
  v1::TransferRequest RandomTransfer();
  const std::string& RandomAccount() { return options_.account_ids[account_(random_)]; }

  WorkloadOptions options_;
  std::mt19937_64 random_;
  std::discrete_distribution<int> kind_;
  std::uniform_int_distribution<size_t> account_;
  std::uniform_int_distribution<int64_t> amount_;
  uint64_t next_request_ = 0;
  uint64_t next_opened_ = 0;
};

}  // namespace ledger::load
