#include "client/load/ledger_accounts.h"

#include <grpcpp/client_context.h>

#include <functional>
#include <optional>

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

absl::Status FromGrpc(const grpc::Status& status, absl::string_view what) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(what, ": ", status.error_message()));
}

// Runs `call(index)` for every index, kInFlight at a time, on the client
// thread; the first failure wins.
absl::Status ForEach(coro::CompletionQueueThreads& client, size_t count,
                     const std::function<coro::Task<absl::Status>(size_t)>& call) {
  auto all = [&]() -> coro::Task<absl::Status> {
    co_await coro::ResumeOn(client.queue(0));
    absl::Status first_failure;
    coro::TaskGroup group(kInFlight);
    auto one = [&](size_t index) -> coro::Task<void> {
      absl::Status status = co_await call(index);
      if (!status.ok() && first_failure.ok()) first_failure = std::move(status);
    };
    for (size_t i = 0; i < count && first_failure.ok(); ++i) co_await group.Spawn(one(i));
    co_await group.Join();
    co_return first_failure;
  };
  return coro::SyncWait(all());
}

void SetDeadline(grpc::ClientContext& context) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + kCallTimeout));
}

}  // namespace

absl::Status OpenAccounts(Channels& channels, coro::CompletionQueueThreads& client,
                          const std::vector<std::string>& ids, int64_t initial_balance) {
  return ForEach(client, ids.size(), [&](size_t index) -> coro::Task<absl::Status> {
    v1::OpenAccountRequest request;
    request.set_id(ids[index]);
    request.set_initial_balance(initial_balance);
    v1::Account account;
    grpc::ClientContext context;
    SetDeadline(context);
    const grpc::Status status = co_await coro::CallUnary(
        &v1::Ledger::Stub::PrepareAsyncOpenAccount, channels.Next(), context, request, account);
    if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
      co_return absl::AlreadyExistsError(
          absl::StrCat("account ", ids[index],
                       " already exists: pass --existing to use the accounts of --account_prefix "
                       "as they are, or another --account_prefix"));
    }
    if (!status.ok()) co_return FromGrpc(status, absl::StrCat("opening account ", ids[index]));
    co_return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> SumBalances(Channels& channels, coro::CompletionQueueThreads& client,
                                    const std::vector<std::string>& ids) {
  std::vector<int64_t> balances(ids.size());
  absl::Status status = ForEach(client, ids.size(), [&](size_t index) -> coro::Task<absl::Status> {
    v1::GetAccountRequest request;
    request.set_id(ids[index]);
    v1::Account account;
    grpc::ClientContext context;
    SetDeadline(context);
    const grpc::Status got = co_await coro::CallUnary(&v1::Ledger::Stub::PrepareAsyncGetAccount,
                                                      channels.Next(), context, request, account);
    if (!got.ok()) co_return FromGrpc(got, absl::StrCat("reading account ", ids[index]));
    balances[index] = account.balance();
    co_return absl::OkStatus();
  });
  if (!status.ok()) return status;
  int64_t sum = 0;
  for (int64_t balance : balances) {
    if (__builtin_add_overflow(sum, balance, &sum)) {
      return absl::OutOfRangeError("the balances add up to more than an int64 holds");
    }
  }
  return sum;
}

}  // namespace ledger::load
