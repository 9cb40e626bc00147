#include "tests/fuzz/fuzz_run.h"

#include <limits>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "coro/sync_wait.h"
#include "tests/fuzz/invariants.h"

namespace ledger::fuzz {
namespace {

// Bounds one input's work, so that every input runs in milliseconds.
constexpr int kMaxTransfersPerInput = 4000;

const Caller& Admin() {
  static const Caller admin = Caller::Anyone();
  return admin;
}

// The calls in a violation message; ShortDebugString escapes any bytes.
template <typename Request>
std::string Describe(const char* rpc, const Request& request, const Caller& caller) {
  return absl::StrCat(rpc, "{", request.ShortDebugString(), "} by ", CallerName(caller));
}

}  // namespace

void FuzzRun::Play() {
  while (!in_.empty()) {
    switch (in_.Pick(8)) {
      case 0:
        OpenAccount();
        break;
      case 1:
        GetAccount();
        break;
      case 2:
        Transfer();
        break;
      case 3:
        ListTransfers();
        break;
      case 4: {
        const Caller& caller = PickCaller(in_);
        ImportTransfers(caller, PickTransferRequests());
        break;
      }
      case 5: {
        const Caller& caller = PickCaller(in_);
        TransferStream(caller, PickTransferRequests());
        break;
      }
      case 6:
        Audit();
        break;
      default: {
        const Caller& caller = PickCaller(in_);
        const bool stream = in_.Pick(2) == 0;
        const std::vector<v1::TransferRequest> burst = Burst();
        if (stream) {
          TransferStream(caller, burst);
        } else {
          ImportTransfers(caller, burst);
        }
        break;
      }
    }
  }
  CheckEverything();
}

// --- Requests -----------------------------------------------------------------

v1::TransferRequest FuzzRun::PickTransferRequest() {
  ++transfers_sent_;
  const int how = in_.Pick(8);
  if (how <= 2 && !sent_.empty()) {
    v1::TransferRequest request = sent_[in_.Byte() % sent_.size()];
    // An exact retry, or the same request_id for another transfer.
    switch (how) {
      case 1:
        request.set_amount(
            request.amount() == std::numeric_limits<int64_t>::max() ? 1 : request.amount() + 1);
        break;
      case 2:
        request.mutable_from_id()->swap(*request.mutable_to_id());
        break;
      default:
        break;
    }
    return request;
  }
  v1::TransferRequest request;
  request.set_request_id(request_ids_.Pick(in_));
  request.set_from_id(PickAccountId(in_, model_));
  request.set_to_id(PickAccountId(in_, model_));
  request.set_amount(PickAmount(in_, model_, request.from_id(), request.to_id()));
  sent_.push_back(request);
  request_ids_.Sent(request.request_id());
  return request;
}

std::vector<v1::TransferRequest> FuzzRun::PickTransferRequests() {
  std::vector<v1::TransferRequest> requests(in_.Pick(6));
  for (v1::TransferRequest& request : requests) request = PickTransferRequest();
  return requests;
}

std::vector<v1::TransferRequest> FuzzRun::Burst() {
  v1::TransferRequest request;
  request.set_from_id(PickAccountId(in_, model_));
  request.set_to_id(PickAccountId(in_, model_));
  request.set_amount(1 + in_.Pick(3));
  // Mostly a few; sometimes past a page of 256 entries.
  int count = in_.Pick(4) == 0 ? 250 + in_.Byte() : 1 + in_.Pick(32);
  count = std::max(0, std::min(count, kMaxTransfersPerInput - transfers_sent_));
  transfers_sent_ += count;
  std::vector<v1::TransferRequest> requests(count, request);
  for (v1::TransferRequest& each : requests) each.set_request_id(request_ids_.Fresh("burst"));
  return requests;
}

// --- Calls --------------------------------------------------------------------

void FuzzRun::OpenAccount() {
  const Caller& caller = PickCaller(in_);
  v1::OpenAccountRequest request;
  request.set_id(PickAccountId(in_, model_));
  request.set_initial_balance(PickInitialBalance(in_));
  const CallStop stop = PickCallStop(in_);
  Expectation expected = model_.ExpectOpen(caller, request);
  absl::StatusOr<v1::Account> account =
      coro::SyncWait(ledger_.OpenAccount(caller, request, stop.cancellation));
  CheckStatus([&] { return Describe("OpenAccount", request, caller); }, account.status(), expected,
              stop.code);
  if (!account.ok()) return;
  model_.Open(caller, request);
  CheckAccount(request.id(), *account, *model_.Find(request.id()));
}

void FuzzRun::GetAccount() {
  const Caller& caller = PickCaller(in_);
  v1::GetAccountRequest request;
  request.set_id(PickAccountId(in_, model_));
  const CallStop stop = PickCallStop(in_);
  absl::StatusOr<v1::Account> account =
      coro::SyncWait(ledger_.GetAccount(caller, request, stop.cancellation));
  CheckStatus([&] { return Describe("GetAccount", request, caller); }, account.status(),
              model_.ExpectRead(caller, request.id()), stop.code);
  if (account.ok()) CheckAccount(request.id(), *account, *model_.Find(request.id()));
}

void FuzzRun::Transfer() {
  const Caller& caller = PickCaller(in_);
  const v1::TransferRequest request = PickTransferRequest();
  const CallStop stop = PickCallStop(in_);
  absl::StatusOr<v1::TransferReceipt> receipt =
      coro::SyncWait(ledger_.Transfer(caller, request, stop.cancellation));
  CheckTransfer([&] { return Describe("Transfer", request, caller); }, caller, request, stop.code,
                receipt);
}

void FuzzRun::CheckTransfer(absl::FunctionRef<std::string()> call, const Caller& caller,
                            const v1::TransferRequest& request, absl::StatusCode stopped,
                            const absl::StatusOr<v1::TransferReceipt>& receipt) {
  const Expectation expected = model_.ExpectTransfer(caller, request);
  CheckStatus(call, receipt.status(), expected, stopped);
  if (!receipt.ok()) return;
  if (expected.retry_of != 0) {
    // Same receipt, field for field; the model's balances stay as they were.
    CheckReceipt("idempotent retries", *receipt, model_.Receipt(expected.retry_of));
    return;
  }
  // A new commit: the next sequence of the whole ledger (the embedded store
  // numbers commits without gaps) and both balances right after it.
  CheckReceipt("transfer receipts", *receipt, model_.Commit(request));
}

void FuzzRun::ListTransfers() {
  const Caller& caller = PickCaller(in_);
  v1::ListTransfersRequest request;
  request.set_account_id(PickAccountId(in_, model_));
  request.set_limit(PickLimit(in_));
  // A client that stops reading after `accept` receipts.
  const size_t accept = in_.Pick(8) == 0 ? in_.Pick(4) : std::numeric_limits<size_t>::max();
  const CallStop stop = PickCallStop(in_);
  std::vector<v1::TransferReceipt> written;
  auto write = [&](const v1::TransferReceipt& receipt) -> coro::Task<bool> {
    if (written.size() >= accept) co_return false;
    written.push_back(receipt);
    co_return true;
  };
  const absl::Status status =
      coro::SyncWait(ledger_.ListTransfers(caller, request, write, stop.cancellation));

  Expectation expected = model_.ExpectRead(caller, request.account_id());
  // What the client must have read: nothing from a refused call, else the
  // journal up to the limit, or up to where it stopped reading (which ends
  // the call CANCELLED).
  std::vector<v1::TransferReceipt*> journal;
  if (expected.must_succeed() && stop.code == absl::StatusCode::kOk) {
    journal = Journal(request.account_id());
    if (request.limit() != 0 && journal.size() > request.limit()) journal.resize(request.limit());
    if (journal.size() > accept) {
      expected.refusals.insert(absl::StatusCode::kCancelled);
      journal.resize(accept);
    }
  }
  CheckStatus([&] { return Describe("ListTransfers", request, caller); }, status, expected,
              stop.code);
  if (written.size() != journal.size()) {
    Violation("journal order",
              absl::StrCat(Describe("ListTransfers", request, caller), " wrote ", written.size(),
                           " receipts, expected ", journal.size()));
  }
  for (size_t i = 0; i < written.size(); ++i)
    CheckReceipt("journal order", written[i], *journal[i]);
}

void FuzzRun::ImportTransfers(const Caller& caller,
                              const std::vector<v1::TransferRequest>& requests) {
  const CallStop stop = PickCallStop(in_);
  size_t read = 0;
  auto next = [&](v1::TransferRequest& request) -> coro::Task<bool> {
    if (read == requests.size()) co_return false;
    request = requests[read++];
    co_return true;
  };
  const absl::StatusOr<v1::ImportSummary> summary =
      coro::SyncWait(ledger_.ImportTransfers(caller, next, stop.cancellation));
  const auto call = [&] {
    return absl::StrCat("ImportTransfers of ", requests.size(), " requests by ",
                        CallerName(caller));
  };
  if (stop.code != absl::StatusCode::kOk) {
    // Nothing may commit; CheckEverything sees that nothing did.
    CheckStatus(call, summary.status(), Expectation{}, stop.code);
    return;
  }
  // The requests apply one after another, so the model can follow them in
  // order; the receipts, unseen here, are checked against ListTransfers.
  uint32_t applied = 0;
  uint32_t rejected = 0;
  for (const v1::TransferRequest& request : requests) {
    const Expectation expected = model_.ExpectTransfer(caller, request);
    if (!expected.must_succeed()) {
      ++rejected;
      continue;
    }
    ++applied;
    if (expected.retry_of == 0) model_.Commit(request);
  }
  CheckStatus(call, summary.status(), Expectation{}, absl::StatusCode::kOk);
  if (read != requests.size() || summary->applied() != applied || summary->rejected() != rejected) {
    Violation("rules",
              absl::StrCat(call(), " read ", read, " and answered {", summary->ShortDebugString(),
                           "}, expected applied ", applied, ", rejected ", rejected));
  }
}

void FuzzRun::TransferStream(const Caller& caller,
                             const std::vector<v1::TransferRequest>& requests) {
  const CallStop stop = PickCallStop(in_);
  size_t read = 0;
  auto next = [&](v1::TransferRequest& request) -> coro::Task<bool> {
    if (read == requests.size()) co_return false;
    request = requests[read++];
    co_return true;
  };
  std::vector<v1::TransferResult> results;
  auto write = [&](const v1::TransferResult& result) -> coro::Task<bool> {
    results.push_back(result);
    co_return true;
  };
  const absl::Status status =
      coro::SyncWait(ledger_.TransferStream(caller, next, write, stop.cancellation));
  const auto call = [&] {
    return absl::StrCat("TransferStream of ", requests.size(), " requests by ", CallerName(caller));
  };
  CheckStatus(call, status, Expectation{}, stop.code);
  // The embedded store never suspends a call, so the transfers ran one at a
  // time and their results came in request order.
  if (read != requests.size() || results.size() != requests.size()) {
    Violation("rules", absl::StrCat(call(), " read ", read, " requests and wrote ", results.size(),
                                    " results"));
  }
  for (size_t i = 0; i < results.size(); ++i) {
    const v1::TransferResult& result = results[i];
    const auto each = [&] { return Describe("TransferStream request", requests[i], caller); };
    if (result.request_id() != requests[i].request_id()) {
      Violation("rules", absl::StrCat(each(), " was answered for request_id ",
                                      absl::CEscape(result.request_id())));
    }
    if (result.code() == 0) {
      if (!result.has_receipt() || !result.message().empty()) {
        Violation("rules",
                  absl::StrCat(each(), " succeeded without a receipt, or with a message: {",
                               result.ShortDebugString(), "}"));
      }
      CheckTransfer(each, caller, requests[i], stop.code, result.receipt());
    } else {
      if (result.has_receipt()) {
        Violation("rules", absl::StrCat(each(), " failed with a receipt: {",
                                        result.ShortDebugString(), "}"));
      }
      CheckTransfer(each, caller, requests[i], stop.code,
                    absl::Status(static_cast<absl::StatusCode>(result.code()), result.message()));
    }
  }
}

void FuzzRun::Audit() {
  const Caller& caller = PickCaller(in_);
  v1::AuditRequest request;
  request.set_account_id(PickAccountId(in_, model_));
  const CallStop stop = PickCallStop(in_);
  absl::StatusOr<v1::AuditReport> report =
      coro::SyncWait(ledger_.Audit(caller, request, stop.cancellation));
  const auto call = [&] { return Describe("Audit", request, caller); };
  CheckStatus(call, report.status(), model_.ExpectRead(caller, request.account_id()), stop.code);
  if (!report.ok()) return;
  const ModelAccount& account = *model_.Find(request.account_id());
  std::vector<const v1::TransferReceipt*> entries;
  for (const v1::TransferReceipt* entry : Journal(request.account_id())) entries.push_back(entry);
  if (report->account_id() != request.account_id() || report->entries() != entries.size() ||
      report->balance() != account.balance || !report->consistent() ||
      report->digest() != ExpectedAuditDigest(request.account_id(), entries)) {
    Violation("audit", absl::StrCat(call(), " answered {", report->ShortDebugString(),
                                    "}, expected ", entries.size(), " entries, balance ",
                                    account.balance, ", consistent, digest ",
                                    ExpectedAuditDigest(request.account_id(), entries)));
  }
}

// --- The whole ledger -----------------------------------------------------------

std::vector<v1::TransferReceipt*> FuzzRun::Journal(const std::string& id) {
  std::vector<v1::TransferReceipt*> journal;
  for (uint64_t sequence : model_.Find(id)->journal) journal.push_back(&model_.Receipt(sequence));
  return journal;
}

void FuzzRun::CheckAccount(const std::string& id, const v1::Account& account,
                           const ModelAccount& expected) {
  // Each committed transfer touching an account adds exactly one to its version.
  if (account.version() != 1 + expected.journal.size()) {
    Violation("account versions", absl::StrCat("account {", account.ShortDebugString(), "} after ",
                                               expected.journal.size(), " transfers touching it"));
  }
  if (account.id() != id || account.balance() != expected.balance ||
      account.owner() != expected.owner) {
    Violation("balances", absl::StrCat("account {", account.ShortDebugString(), "}, expected id ",
                                       id, ", balance ", expected.balance, ", owner \"",
                                       absl::CEscape(expected.owner), "\""));
  }
}

void FuzzRun::CheckEverything() {
  const coro::Cancellation never;
  __int128 balances = 0;
  __int128 audited = 0;
  for (const auto& [id, expected] : model_.accounts()) {
    v1::GetAccountRequest get;
    get.set_id(id);
    absl::StatusOr<v1::Account> account = coro::SyncWait(ledger_.GetAccount(Admin(), get, never));
    if (!account.ok()) {
      Violation("accounts", absl::StrCat("GetAccount of opened account ", id, ": ",
                                         account.status().ToString()));
    }
    CheckAccount(id, *account, expected);
    balances += account->balance();

    v1::ListTransfersRequest list;
    list.set_account_id(id);
    std::vector<v1::TransferReceipt> written;
    auto write = [&](const v1::TransferReceipt& receipt) -> coro::Task<bool> {
      written.push_back(receipt);
      co_return true;
    };
    const absl::Status listed = coro::SyncWait(ledger_.ListTransfers(Admin(), list, write, never));
    const std::vector<v1::TransferReceipt*> journal = Journal(id);
    if (!listed.ok() || written.size() != journal.size()) {
      Violation("journal order",
                absl::StrCat("ListTransfers of ", id, ": ", listed.ToString(), ", ", written.size(),
                             " receipts, expected ", journal.size()));
    }
    // The journal the ledger lists, summed from the initial balance, gives
    // the balance it reports.
    __int128 replayed = expected.initial_balance;
    for (size_t i = 0; i < written.size(); ++i) {
      CheckReceipt("journal order", written[i], *journal[i]);
      if (i > 0 && written[i].sequence() <= written[i - 1].sequence()) {
        Violation("journal order",
                  absl::StrCat("ListTransfers of ", id, ": sequence ", written[i].sequence(),
                               " after ", written[i - 1].sequence()));
      }
      if (written[i].to_id() == id) replayed += written[i].amount();
      if (written[i].from_id() == id) replayed -= written[i].amount();
    }
    if (replayed != account->balance()) {
      Violation("journal matches balance",
                absl::StrCat("the journal of ", id, " sums to ", Int128ToString(replayed),
                             ", its balance is ", account->balance()));
    }

    v1::AuditRequest audit;
    audit.set_account_id(id);
    absl::StatusOr<v1::AuditReport> report = coro::SyncWait(ledger_.Audit(Admin(), audit, never));
    std::vector<const v1::TransferReceipt*> entries(journal.begin(), journal.end());
    if (!report.ok() || !report->consistent() || report->entries() != journal.size() ||
        report->balance() != expected.balance ||
        report->digest() != ExpectedAuditDigest(id, entries)) {
      Violation("audit", absl::StrCat("Audit of ", id, ": ",
                                      report.ok() ? report->ShortDebugString()
                                                  : report.status().ToString()));
    }
    audited += report->balance();
  }
  // Money is made only by admin opening accounts with it, and never destroyed.
  if (balances != model_.minted() || audited != model_.minted()) {
    Violation("money conserved",
              absl::StrCat("balances sum to ", Int128ToString(balances), " (audited ",
                           Int128ToString(audited), "), minted ", Int128ToString(model_.minted())));
  }
  // Nothing opens an account but a successful OpenAccount.
  for (const char* id : {"a", "b", "c", "d", "Z-9.x_"}) {
    if (model_.Find(id) != nullptr) continue;
    v1::GetAccountRequest get;
    get.set_id(id);
    absl::StatusOr<v1::Account> account = coro::SyncWait(ledger_.GetAccount(Admin(), get, never));
    if (account.status().code() != absl::StatusCode::kNotFound) {
      Violation("accounts", absl::StrCat("account ", id, " was never opened, but GetAccount: ",
                                         account.status().ToString()));
    }
  }
}

}  // namespace ledger::fuzz
