// The examples in coro/fd_poller.h and coro/async_semaphore.h, compiled and
// run on a completion-queue thread. Each region between snippet markers is
// copied verbatim into a header comment.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <stop_token>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "coro/alarm.h"
#include "coro/async_semaphore.h"
#include "coro/cancellation.h"
#include "coro/completion_queue_threads.h"
#include "coro/fd_poller.h"
#include "coro/task.h"
#include "coro/task_group.h"
#include "tests/coro/echo_server.h"

namespace snippets {
namespace {

using coro::test_support::RunOn;

coro::Task<ssize_t> ReceiveSome(coro::FdPoller& poller, int fd, coro::Cancellation cancellation) {
  char buffer[64];
  // snippet: fd-poller
  ssize_t got = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
  while (got < 0 && errno == EAGAIN) {
    const bool ready = co_await poller.WaitFor(fd, coro::FdPoller::kReadable, cancellation);
    if (!ready) co_return -1;  // stopped, or the deadline passed
    got = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
  }
  // end snippet
  co_return got;
}

// The bytes arrive while the coroutine waits for them, or before; either way
// it receives them. With nothing to receive, the deadline ends the wait.
TEST(Snippets, FdPollerWaitsForASocketToBeReadable) {
  coro::FdPoller poller;
  coro::CompletionQueueThreads queues(1);
  queues.Start();
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  std::thread sender([&] {
    absl::SleepFor(absl::Milliseconds(10));
    EXPECT_EQ(send(fds[1], "hello", 5, MSG_NOSIGNAL), 5);
  });
  EXPECT_EQ(RunOn(queues, ReceiveSome(poller, fds[0], coro::Cancellation())), 5);
  sender.join();
  const coro::Cancellation soon(std::stop_token(), absl::Now() + absl::Milliseconds(10));
  EXPECT_EQ(RunOn(queues, ReceiveSome(poller, fds[0], soon)), -1);
  close(fds[0]);
  close(fds[1]);
}

coro::Task<bool> Query(coro::AsyncSemaphore& connections, coro::Cancellation cancellation) {
  // snippet: async-semaphore
  const bool acquired = co_await connections.Acquire(cancellation);
  if (!acquired) co_return false;  // stopped, or the deadline passed: no permit held
  // a query on one of the connections:
  co_await coro::Sleep(absl::Milliseconds(1));
  connections.Release();
  // end snippet
  co_return true;
}

coro::Task<void> QueryAndCount(coro::AsyncSemaphore& connections, int& done) {
  const bool queried = co_await Query(connections, coro::Cancellation());
  if (queried) ++done;
}

// Ten queries share two connections, and both permits are back at the end.
TEST(Snippets, AsyncSemaphoreLendsItsPermits) {
  coro::CompletionQueueThreads queues(1);
  queues.Start();
  coro::AsyncSemaphore connections(2);
  int done = 0;
  RunOn(queues, [&]() -> coro::Task<void> {
    coro::TaskGroup group(10);
    for (int i = 0; i < 10; ++i) co_await group.Spawn(QueryAndCount(connections, done));
    co_await group.Join();
  }());
  EXPECT_EQ(done, 10);
  EXPECT_EQ(connections.available(), 2);
}

}  // namespace
}  // namespace snippets
