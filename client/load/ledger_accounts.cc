#include "client/load/ledger_accounts.h"

#include <grpcpp/client_context.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "coro/alarm.h"
#include "coro/client_unary.h"
#include "coro/sync_wait.h"
#include "coro/task.h"
#include "coro/task_group.h"

namespace ledger::load {
namespace {

// Enough in flight to hide round trips, few enough not to trip a server's
// --max_inflight or crowd out other clients.
constexpr int kInFlight = 256;
// Setup and checking are not what is measured; a generous deadline, so a
// slow store (--store_latency) does not make them fail.
constexpr absl::Duration kCallTimeout = absl::Seconds(60);

template <typename Request>
using AccountMethod = coro::PrepareUnary<v1::Ledger::Stub, Request, v1::Account>;

// `doing` is "opening" or "reading".
absl::Status Failure(const grpc::Status& status, absl::string_view doing, const std::string& id) {
  // Only opening an account can find it there already.
  if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
    return absl::AlreadyExistsError(
        absl::StrCat("account ", id,
                     " already exists: pass --existing to use the accounts of --account_prefix "
                     "as they are, or another --account_prefix"));
  }
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  std::string message = absl::StrCat(doing, " account ", id, ": ", status.error_message());
  // With authentication on, say what the run needs rather than leave the
  // reader to work it out from the server's rules.
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    absl::StrAppend(&message,
                    " (UNAUTHENTICATED: the server wants a credential it knows: a "
                    "token, --token or LEDGER_TOKEN, or a client certificate, "
                    "--tls_cert_file)");
  }
  if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
    absl::StrAppend(&message, doing == "opening"
                                  ? " (PERMISSION_DENIED: opening funded accounts needs a token "
                                    "with the admin role, or --existing to use accounts "
                                    "opened and funded beforehand)"
                                  : " (PERMISSION_DENIED: only the accounts' owner or an admin "
                                    "may read them and pay from them)");
  }
  return absl::Status(code, message);
}

// Calls `method` once per account of `ids` (`request` with the account's id),
// kInFlight at a time on the client thread, and returns the account each
// answer holds; or the first failure, naming the account.
template <typename Request>
absl::StatusOr<std::vector<v1::Account>> CallPerAccount(
    Channels& channels, coro::CompletionQueueThreads& client, const std::vector<std::string>& ids,
    AccountMethod<Request> method, const Request& request, absl::string_view doing) {
  std::vector<v1::Account> accounts(ids.size());
  auto all = [&]() -> coro::Task<absl::Status> {
    co_await coro::ResumeOn(client.queue(0));
    absl::Status first_failure;
    coro::TaskGroup group(kInFlight);
    auto one = [&](size_t index) -> coro::Task<void> {
      Request own = request;
      own.set_id(ids[index]);
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + kCallTimeout));
      const grpc::Status status =
          co_await coro::CallUnary(method, channels.Next(), context, own, accounts[index]);
      if (!status.ok() && first_failure.ok()) {
        first_failure = Failure(status, doing, ids[index]);
      }
    };
    for (size_t i = 0; i < ids.size() && first_failure.ok(); ++i) co_await group.Spawn(one(i));
    co_await group.Join();
    co_return first_failure;
  };
  if (absl::Status status = coro::SyncWait(all()); !status.ok()) return status;
  return accounts;
}

}  // namespace

absl::Status OpenAccounts(Channels& channels, coro::CompletionQueueThreads& client,
                          const std::vector<std::string>& ids, int64_t initial_balance) {
  v1::OpenAccountRequest request;
  request.set_initial_balance(initial_balance);
  return CallPerAccount(channels, client, ids, &v1::Ledger::Stub::PrepareAsyncOpenAccount, request,
                        "opening")
      .status();
}

absl::StatusOr<AccountsTotal> ReadTotal(Channels& channels, coro::CompletionQueueThreads& client,
                                        const std::vector<std::string>& ids) {
  absl::StatusOr<std::vector<v1::Account>> accounts =
      CallPerAccount(channels, client, ids, &v1::Ledger::Stub::PrepareAsyncGetAccount,
                     v1::GetAccountRequest(), "reading");
  if (!accounts.ok()) return accounts.status();
  AccountsTotal total;
  uint64_t versions_raised = 0;
  for (const v1::Account& account : *accounts) {
    if (__builtin_add_overflow(total.balance, account.balance(), &total.balance)) {
      return absl::OutOfRangeError("the balances add up to more than an int64 holds");
    }
    versions_raised += account.version() - 1;
  }
  total.transfers = static_cast<int64_t>(versions_raised / 2);
  return total;
}

absl::StatusOr<int64_t> SumBalances(Channels& channels, coro::CompletionQueueThreads& client,
                                    const std::vector<std::string>& ids) {
  absl::StatusOr<AccountsTotal> total = ReadTotal(channels, client, ids);
  if (!total.ok()) return total.status();
  return total->balance;
}

}  // namespace ledger::load
