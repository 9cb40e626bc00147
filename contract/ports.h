// The ports ledger-server listens on by default, and where its clients look
// for it: defined once for the server, the clients, the tests and deploy/.
#pragma once

namespace ledger {

inline constexpr int kDefaultPort = 50051;        // coroutine mode
inline constexpr int kDefaultThreadPort = 50052;  // thread mode
inline constexpr int kDefaultMetricsPort = 9464;  // Prometheus's default for exporters

}  // namespace ledger
