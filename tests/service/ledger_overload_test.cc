// Overload against the real server: 20,000 Transfers offered at once, from a
// coroutine client on one thread over several connections, to a server whose
// limits are far below that. Calls past the limits are refused with
// RESOURCE_EXHAUSTED as soon as the server takes them, and a server already
// full refuses a new caller within milliseconds; the calls admitted all
// succeed and no money is created or lost; the server's memory stays
// bounded; and afterwards it is alive, serving, and back to its idle threads.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "coro/alarm.h"
#include "coro/client_unary.h"
#include "coro/completion_queue_threads.h"
#include "coro/detached.h"
#include "coro/task.h"
#include "tests/service/ledger_client.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/server_process.h"

namespace ledger::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kCalls = 20'000;
constexpr int kConnections = 8;
constexpr int kProbes = 50;
constexpr int kAccounts = 32;
constexpr int64_t kOpeningBalance = 1'000'000'000;
// Threads gRPC starts for itself as it gets busy (timers, executor), beyond
// those that serve calls.
constexpr int64_t kSpareThreads = 8;

// A field of /proc/<pid>/status, in its unit (kB for VmRSS), or -1.
int64_t ProcStatus(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (absl::StartsWith(line, field + ":")) {
      int64_t value = -1;
      std::string number = line.substr(field.size() + 1);
      number.erase(
          std::remove_if(number.begin(), number.end(), [](char c) { return c < '0' || c > '9'; }),
          number.end());
      return absl::SimpleAtoi(number, &value) ? value : -1;
    }
  }
  return -1;
}

// Samples the server process while a burst runs: its resident memory and
// threads from /proc, its calls in flight from /metrics.
class Sampler {
 public:
  Sampler(const ServerProcess& server, const std::string& mode)
      : thread_([this, &server, mode] {
          const pid_t pid = server.pid();
          int scrapes = 0;
          while (!stop_.load()) {
            peak_rss_kb_ = std::max(peak_rss_kb_, ProcStatus(pid, "VmRSS"));
            peak_threads_ = std::max(peak_threads_, ProcStatus(pid, "Threads"));
            if (++scrapes % 5 == 0) {
              const Scrape scrape = Scrape::From(server.port("metrics"));
              peak_inflight_ =
                  std::max(peak_inflight_, scrape.Value("ledger_inflight_calls", {{"mode", mode}}));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }) {}
  // Stops sampling; the peaks are final from then on.
  void Stop() {
    stop_ = true;
    thread_.join();
  }
  int64_t peak_rss_kb() const { return peak_rss_kb_; }
  int64_t peak_threads() const { return peak_threads_; }
  double peak_inflight() const { return peak_inflight_; }

 private:
  std::atomic<bool> stop_{false};
  int64_t peak_rss_kb_ = 0;
  int64_t peak_threads_ = 0;
  double peak_inflight_ = 0;
  std::thread thread_;
};

struct CallOutcome {
  grpc::Status status;
  Clock::duration latency{};
};

// Starts every request at once, as fast as one client thread can, spread
// over kConnections connections; returns each one's outcome once all have
// ended. A call's latency runs from its own start to its answer.
std::vector<CallOutcome> OfferAtOnce(const std::string& address,
                                     const std::vector<v1::TransferRequest>& requests) {
  std::vector<std::unique_ptr<v1::Ledger::Stub>> stubs;
  for (int i = 0; i < kConnections; ++i) {
    grpc::ChannelArguments arguments;
    // A channel of its own each, so each is a connection of its own.
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    arguments.SetInt("ledger.test.connection", i);
    stubs.push_back(v1::Ledger::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments)));
  }
  std::vector<CallOutcome> outcomes(requests.size());
  std::atomic<size_t> ended{0};
  {
    coro::CompletionQueueThreads client(1);
    client.Start();
    auto call = [&](size_t i) -> coro::Task<void> {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
      v1::TransferReceipt receipt;
      const Clock::time_point start = Clock::now();
      outcomes[i].status =
          co_await coro::CallUnary(&v1::Ledger::Stub::PrepareAsyncTransfer,
                                   *stubs[i % kConnections], context, requests[i], receipt);
      outcomes[i].latency = Clock::now() - start;
      ended.fetch_add(1);
    };
    // One coroutine on the client's thread starts them all, back to back.
    auto start_all = [&]() -> coro::Task<void> {
      co_await coro::ResumeOn(client.queue(0));
      for (size_t i = 0; i < requests.size(); ++i) coro::Spawn(call(i));
    };
    coro::Spawn(start_all());
    const Clock::time_point give_up = Clock::now() + std::chrono::seconds(90);
    while (ended.load() < requests.size() && Clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(ended.load(), requests.size()) << "the calls did not all end in time";
    client.Shutdown();
  }
  return outcomes;
}

// Runs `one(i)` for i in [0, count) on as many threads, and waits for them.
template <typename One>
void OnThreads(int count, One one) {
  std::vector<std::thread> threads;
  for (int i = 0; i < count; ++i) threads.emplace_back([&one, i] { one(i); });
  for (std::thread& thread : threads) thread.join();
}

double Percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(fraction * values.size()))];
}

// What one burst showed, for the assertions and the report.
struct Burst {
  int ok = 0;
  int refused_for_inflight = 0;  // RESOURCE_EXHAUSTED naming --max_inflight
  int refused_otherwise = 0;     // RESOURCE_EXHAUSTED from gRPC's thread quota
  std::map<grpc::StatusCode, int> other;
  std::vector<double> refused_ms;  // every refusal's latency
  std::vector<double> ok_ms;
  // From the server's grpc_server_handling_seconds: calls it answered within
  // 10 ms and within 1 s of taking them (admitted calls take far longer).
  double handled_within_10ms = 0;
  double handled_within_1s = 0;
  int64_t idle_rss_kb = 0;
  int64_t peak_rss_kb = 0;
  int64_t idle_threads = 0;
  int64_t peak_threads = 0;
  int64_t threads_after = 0;
  double peak_inflight = 0;
  double seconds = 0;

  std::string Report(const std::string& name) const {
    return absl::StrCat(
        name, ": ", ok, " OK, ", refused_for_inflight, " refused (--max_inflight), ",
        refused_otherwise, " refused (thread quota), ", other.size(), " other codes; refused ms ",
        "p50=", Percentile(refused_ms, 0.5), " p99=", Percentile(refused_ms, 0.99),
        " max=", Percentile(refused_ms, 1.0), "; server answered ", handled_within_10ms,
        " within 10 ms and ", handled_within_1s,
        " within 1 s; admitted ms p50=", Percentile(ok_ms, 0.5), " max=", Percentile(ok_ms, 1.0),
        "; VmRSS idle=", idle_rss_kb / 1024, " MiB peak=", peak_rss_kb / 1024,
        " MiB; threads idle=", idle_threads, " peak=", peak_threads, " after=", threads_after,
        "; peak in flight=", peak_inflight, "; burst took ", seconds, " s");
  }
};

Labels TransferLabels(const std::string& mode) {
  return {{"grpc_service", "ledger.v1.Ledger"},
          {"grpc_method", "Transfer"},
          {"grpc_type", "unary"},
          {"mode", mode}};
}

Labels With(Labels labels, const std::string& name, const std::string& value) {
  labels[name] = value;
  return labels;
}

// A server under overload, and the accounts every burst moves money among.
class LedgerOverload : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags) {
    server_ = std::make_unique<ServerProcess>(std::move(flags));
    ASSERT_NE(server_->port(), 0);
    for (int i = 0; i < kAccounts; ++i) accounts_.push_back(UniqueId("overload"));
    OnThreads(kAccounts, [&](int i) {
      EXPECT_TRUE(LedgerClient(server_->address()).Open(accounts_[i], kOpeningBalance).ok());
    });
  }

  // Offers kCalls transfers at once to `mode` and checks what must hold
  // whatever the timing: every call OK or RESOURCE_EXHAUSTED, and counted so
  // by the server. Waits for the threads to come back to idle.
  Burst OfferBurst(const std::string& mode) {
    Burst burst;
    std::mt19937 random(20'000);
    std::vector<v1::TransferRequest> requests;
    for (int i = 0; i < kCalls; ++i) {
      const int from = static_cast<int>(random() % kAccounts);
      const int to = (from + 1 + static_cast<int>(random() % (kAccounts - 1))) % kAccounts;
      requests.push_back(Request(UniqueId("burst"), accounts_[from], accounts_[to], 1 + i % 10));
    }
    const pid_t pid = server_->pid();
    burst.idle_rss_kb = ProcStatus(pid, "VmRSS");
    burst.idle_threads = ProcStatus(pid, "Threads");
    const Scrape before = Scrape::From(server_->port("metrics"));

    Sampler sampler(*server_, mode);
    const Clock::time_point start = Clock::now();
    const std::vector<CallOutcome> outcomes = OfferAtOnce(server_->address(mode), requests);
    burst.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    sampler.Stop();
    burst.peak_rss_kb = sampler.peak_rss_kb();
    burst.peak_threads = sampler.peak_threads();
    burst.peak_inflight = sampler.peak_inflight();

    for (const CallOutcome& outcome : outcomes) {
      const double ms = std::chrono::duration<double, std::milli>(outcome.latency).count();
      switch (outcome.status.error_code()) {
        case grpc::StatusCode::OK:
          ++burst.ok;
          burst.ok_ms.push_back(ms);
          break;
        case grpc::StatusCode::RESOURCE_EXHAUSTED:
          ++(absl::StrContains(outcome.status.error_message(), "--max_inflight")
                 ? burst.refused_for_inflight
                 : burst.refused_otherwise);
          burst.refused_ms.push_back(ms);
          break;
        default:
          ++burst.other[outcome.status.error_code()];
      }
    }
    EXPECT_EQ(burst.other.size(), 0u) << "calls that neither succeeded nor were refused";
    const int refused = burst.refused_for_inflight + burst.refused_otherwise;
    EXPECT_EQ(burst.ok + refused, kCalls);

    // The server counted each call as the client saw it.
    const Scrape after = Scrape::From(server_->port("metrics"));
    const Labels transfer = TransferLabels(mode);
    auto rose = [&](const std::string& name, const Labels& labels) {
      return after.Value(name, labels) - before.Value(name, labels);
    };
    EXPECT_EQ(rose("grpc_server_handled_total", With(transfer, "grpc_code", "OK")), burst.ok);
    EXPECT_EQ(rose("grpc_server_handled_total", With(transfer, "grpc_code", "ResourceExhausted")),
              refused);
    burst.handled_within_10ms =
        rose("grpc_server_handling_seconds_bucket", With(transfer, "le", "0.01"));
    burst.handled_within_1s =
        rose("grpc_server_handling_seconds_bucket", With(transfer, "le", "1"));

    committed_ += burst.ok;
    // Thread mode's surplus threads exit as soon as they are idle.
    const Clock::time_point give_up = Clock::now() + std::chrono::seconds(10);
    for (;;) {
      burst.threads_after = ProcStatus(pid, "Threads");
      if (burst.threads_after <= burst.idle_threads + kSpareThreads || Clock::now() > give_up) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::printf("%s\n", burst.Report(mode).c_str());
    return burst;
  }

  // Fills `mode` with `holders` transfers at once and, once its calls in
  // flight have reached `full`, offers kProbes more one at a time on a
  // connection of their own, each waiting for its answer before the next:
  // what a client sees when it calls a server that is already full, without
  // a burst of its own ahead of it in the queues. Returns the probes'
  // outcomes; the holders' and probes' admitted transfers count as committed.
  std::vector<CallOutcome> ProbeWhileFull(const std::string& mode, int holders, double full) {
    std::vector<v1::TransferRequest> requests;
    for (int i = 0; i < holders; ++i) {
      requests.push_back(
          Request(UniqueId("hold"), accounts_[i % kAccounts], accounts_[(i + 1) % kAccounts], 1));
    }
    std::vector<CallOutcome> held;
    std::thread holding([&] { held = OfferAtOnce(server_->address(mode), requests); });
    const Clock::time_point give_up = Clock::now() + std::chrono::seconds(30);
    double inflight = 0;
    while ((inflight = Scrape::From(server_->port("metrics"))
                           .Value("ledger_inflight_calls", {{"mode", mode}})) < full &&
           Clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(inflight, full) << "the holders did not fill " << mode << " mode";

    std::vector<CallOutcome> probes(kProbes);
    LedgerClient prober(server_->address(mode));
    for (CallOutcome& probe : probes) {
      const Clock::time_point start = Clock::now();
      probe.status = prober.Transfer(UniqueId("probe"), accounts_[0], accounts_[1], 1);
      probe.latency = Clock::now() - start;
      if (probe.status.ok()) ++committed_;
    }
    holding.join();
    for (const CallOutcome& outcome : held) committed_ += outcome.status.ok();
    return probes;
  }

  // The server is alive and serves in each of `modes`; every transfer
  // admitted in any burst committed exactly once (each moved two versions),
  // and no money was created or lost.
  void ExpectTheLedgerWhole(const std::vector<std::string>& modes) {
    std::vector<v1::Account> accounts(kAccounts);
    OnThreads(kAccounts, [&](int i) {
      const std::string& mode = modes[i % modes.size()];
      EXPECT_TRUE(LedgerClient(server_->address(mode)).Get(accounts_[i], &accounts[i]).ok())
          << mode;
    });
    int64_t total = 0;
    uint64_t versions_moved = 0;
    for (const v1::Account& account : accounts) {
      total += account.balance();
      versions_moved += account.version() - 1;
    }
    EXPECT_EQ(total, kAccounts * kOpeningBalance);
    EXPECT_EQ(versions_moved, 2 * committed_);
  }

  std::unique_ptr<ServerProcess> server_;
  std::vector<std::string> accounts_;
  uint64_t committed_ = 0;
};

// Each admitted transfer waits its one store call for kStoreLatency, so the
// first ones admitted hold their places through the whole burst; refusals
// wait for nothing but their turn. Measured here (a 2-core machine shared
// with other builds and fuzzers), the last refusal of a burst came 4.5 to
// 6.5 s after its call started at load average 4 to 8, and 10 s at load 12:
// the time one client thread and the server take to get through 20,000
// calls. The bound is twice the worst of those. A server that queued calls
// for a place instead of refusing them would keep most of them waiting past
// their 60 s deadline, which the test counts as neither OK nor refused.
//
// How fast the server itself refuses shows in two other measures. The
// server's handling time of a burst's refusals: median under 0.5 ms, 95% to
// 99.9% within 10 ms, the rest within 0.5 s, where gRPC's transport work
// for the burst runs on the thread that answers. And a server already full,
// called one call at a time by a client of its own: refused in 0.14 to
// 0.35 ms (median) and at most 13 ms, in both modes and past --max_threads.
// The bounds are far above those, for machines busier than this one.
constexpr auto kStoreLatency = std::chrono::seconds(6);
constexpr double kMaxRefusalMs = 20'000;
constexpr double kMaxProbeMedianMs = 50;
constexpr double kMaxProbeMs = 1'000;

// The server's resident memory (VmRSS) at its peak during a burst, measured
// here over 8 runs: 206 to 255 MiB in coroutine mode, from 22 MiB idle; 323
// to 419 MiB in thread mode (its burst comes second and starts from what the
// first left, 134 to 212 MiB), 266 to 305 MiB with --max_threads=64. It is
// mostly gRPC's own state for 20,000 calls received at once, about 10 KiB
// each, and in thread mode the threads. The bounds are about twice the
// largest.
constexpr int64_t kMaxPeakRssKb[] = {/*coroutine=*/512 * 1024, /*thread=*/832 * 1024};
int64_t MaxPeakRssKb(const std::string& mode) { return kMaxPeakRssKb[mode == "thread" ? 1 : 0]; }

// The server's own time for the refusals of a burst, from taking a call to
// answering it: every one within 1 s, while every admitted call took longer
// (its store call alone takes kStoreLatency), and most within 10 ms.
void ExpectRefusedAtOnce(const Burst& burst) {
  const int refused = burst.refused_for_inflight + burst.refused_otherwise;
  EXPECT_EQ(burst.handled_within_1s, refused);
  EXPECT_GE(burst.handled_within_10ms, 0.5 * refused);
}

// Every probe of a full server was refused for `limit`, the median within
// kMaxProbeMedianMs and each within kMaxProbeMs.
void ExpectRefusedAtOnce(const std::vector<CallOutcome>& probes, const std::string& limit) {
  std::vector<double> ms;
  for (const CallOutcome& probe : probes) {
    EXPECT_EQ(probe.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_TRUE(absl::StrContains(probe.status.error_message(), limit))
        << probe.status.error_message();
    ms.push_back(std::chrono::duration<double, std::milli>(probe.latency).count());
  }
  std::printf("probes of a full server: refused in ms p50=%.2f max=%.2f\n", Percentile(ms, 0.5),
              Percentile(ms, 1.0));
  EXPECT_LT(Percentile(ms, 0.5), kMaxProbeMedianMs);
  EXPECT_LT(Percentile(ms, 1.0), kMaxProbeMs);
}

// Both modes of one server, one burst each, limits far below 20,000: both
// --max_inflight (128 per mode) and, in thread mode, --max_threads (256).
TEST_F(LedgerOverload, EachModeRefusesPastItsLimitsQuicklyAndStaysWhole) {
  constexpr int kMaxInflight = 128;
  constexpr int kMaxThreads = 256;
  Start({"--mode=both", "--max_inflight=" + std::to_string(kMaxInflight),
         "--max_threads=" + std::to_string(kMaxThreads),
         "--store_latency=" + std::to_string(kStoreLatency.count()) + "s"});
  if (HasFatalFailure()) return;

  for (const std::string mode : {"coroutine", "thread"}) {
    SCOPED_TRACE(mode);
    const Burst burst = OfferBurst(mode);
    // The first calls taken are all admitted, then none past the bound.
    EXPECT_GE(burst.ok, kMaxInflight);
    EXPECT_LE(burst.peak_inflight, kMaxInflight);
    EXPECT_GT(burst.refused_for_inflight, 0);
    if (mode == "coroutine") {
      EXPECT_EQ(burst.refused_otherwise, 0);                              // only threads run out
      EXPECT_LE(burst.peak_threads, burst.idle_threads + kSpareThreads);  // calls are not threads
    } else {
      EXPECT_LE(burst.peak_threads, burst.idle_threads + kMaxThreads + kSpareThreads);
    }
    EXPECT_LT(Percentile(burst.refused_ms, 1.0), kMaxRefusalMs);
    ExpectRefusedAtOnce(burst);
    EXPECT_LT(burst.peak_rss_kb, MaxPeakRssKb(mode));
    EXPECT_LE(burst.threads_after, burst.idle_threads + kSpareThreads);

    ExpectRefusedAtOnce(ProbeWhileFull(mode, 2 * kMaxInflight, kMaxInflight), "--max_inflight");
  }
  ExpectTheLedgerWhole({"coroutine", "thread"});
}

// Thread mode with --max_threads far below the calls and --max_inflight
// above it: past the threads, gRPC's thread quota refuses, as fast as
// --max_inflight does, and nothing else breaks.
TEST_F(LedgerOverload, ThreadModeRefusesPastMaxThreadsAndStaysWhole) {
  constexpr int kMaxThreads = 64;
  Start({"--mode=thread", "--max_threads=" + std::to_string(kMaxThreads),
         "--store_latency=" + std::to_string(kStoreLatency.count()) + "s"});
  if (HasFatalFailure()) return;
  const Burst burst = OfferBurst("thread");
  EXPECT_GE(burst.ok, 1);
  EXPECT_EQ(burst.refused_for_inflight, 0);
  EXPECT_GT(burst.refused_otherwise, 0);
  EXPECT_LT(burst.peak_inflight, kMaxThreads);  // gRPC's polling thread is one of them
  EXPECT_LE(burst.peak_threads, burst.idle_threads + kMaxThreads + kSpareThreads);
  EXPECT_LT(burst.peak_rss_kb, MaxPeakRssKb("thread"));
  EXPECT_LE(burst.threads_after, burst.idle_threads + kSpareThreads);
  ExpectRefusedAtOnce(burst);

  // Every thread but gRPC's polling one holds a call; that one refuses.
  ExpectRefusedAtOnce(ProbeWhileFull("thread", 2 * kMaxThreads, kMaxThreads - 1),
                      "Threadpool Exhausted");
  ExpectTheLedgerWhole({"thread"});
}

}  // namespace
}  // namespace ledger::testing
