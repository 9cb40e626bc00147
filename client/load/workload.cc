#include "client/load/workload.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace ledger::load {

namespace {

// The operation of kind `index`, its request still empty.
template <size_t... Kinds>
Operation EmptyOperation(size_t index, std::index_sequence<Kinds...>) {
  Operation operation;
  ((index == Kinds ? (void)operation.emplace<Kinds>() : void()), ...);
  return operation;
}

}  // namespace

absl::StatusOr<Mix> ParseMix(absl::string_view text) {
  Mix mix;
  mix.weights.fill(0);
  std::array<bool, kOperationKinds> seen{};
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::pair<absl::string_view, absl::string_view> name_weight = absl::StrSplit(part, ':');
    const absl::string_view name = absl::StripAsciiWhitespace(name_weight.first);
    const size_t kind =
        std::find(kOperationNames.begin(), kOperationNames.end(), name) - kOperationNames.begin();
    if (kind == kOperationKinds) {
      return absl::InvalidArgumentError(absl::StrCat("unknown operation '", name, "' (use ",
                                                     absl::StrJoin(kOperationNames, ", "), ")"));
    }
    if (seen[kind]) return absl::InvalidArgumentError(absl::StrCat("'", name, "' given twice"));
    seen[kind] = true;
    int weight = 0;
    if (!absl::SimpleAtoi(name_weight.second, &weight) || weight < 0 || weight > 1'000'000) {
      return absl::InvalidArgumentError(absl::StrCat(
          "weight of '", name, "' must be 0 to 1000000, not '", name_weight.second, "'"));
    }
    mix.weights[kind] = weight;
  }
  int total = 0;
  for (int weight : mix.weights) total += weight;
  if (total == 0) {
    return absl::InvalidArgumentError("no operation has a positive weight (e.g. get:1,transfer:1)");
  }
  return mix;
}

std::string FormatMix(const Mix& mix) {
  std::vector<std::string> parts;
  for (size_t k = 0; k < kOperationKinds; ++k) {
    if (mix.weights[k] > 0) parts.push_back(absl::StrCat(kOperationNames[k], ":", mix.weights[k]));
  }
  return absl::StrJoin(parts, ",");
}

std::vector<std::string> AccountIds(absl::string_view prefix, int count) {
  std::vector<std::string> ids;
  ids.reserve(count);
  for (int i = 0; i < count; ++i) ids.push_back(absl::StrCat(prefix, i));
  return ids;
}

Workload::Workload(WorkloadOptions options)
    : options_(std::move(options)),
      random_(options_.seed),
      kind_(options_.mix.weights.begin(), options_.mix.weights.end()),
      account_(0, options_.account_ids.size() - 1),
      amount_(1, options_.max_amount) {}

v1::TransferRequest Workload::RandomTransfer() {
  v1::TransferRequest transfer;
  const size_t from = account_(random_);
  size_t to = account_(random_);
  // Redrawing (rather than shifting) keeps every ordered pair equally likely.
  while (to == from) to = account_(random_);
  transfer.set_request_id(absl::StrCat(options_.request_id_prefix, next_request_++));
  transfer.set_from_id(options_.account_ids[from]);
  transfer.set_to_id(options_.account_ids[to]);
  transfer.set_amount(amount_(random_));
  return transfer;
}

void Workload::Draw(GetAccount& get) { get.request.set_id(RandomAccount()); }

void Workload::Draw(Transfer& transfer) { transfer.request = RandomTransfer(); }

void Workload::Draw(ListTransfers& list) {
  list.request.set_account_id(RandomAccount());
  list.request.set_limit(options_.list_limit);
}

void Workload::Draw(TransferStream& stream) {
  for (int i = 0; i < options_.stream_transfers; ++i) stream.requests.push_back(RandomTransfer());
}

void Workload::Draw(OpenAccount& open) {
  open.request.set_id(absl::StrCat(options_.open_prefix, next_opened_++));
}

void Workload::Draw(ImportTransfers& import) {
  for (int i = 0; i < options_.import_transfers; ++i) import.requests.push_back(RandomTransfer());
}

void Workload::Draw(Audit& audit) { audit.request.set_account_id(RandomAccount()); }

Operation Workload::Next() {
  Operation operation = EmptyOperation(kind_(random_), std::make_index_sequence<kOperationKinds>());
  std::visit([this](auto& kind) { Draw(kind); }, operation);
  return operation;
}

}  // namespace ledger::load
