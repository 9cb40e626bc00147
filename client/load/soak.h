// --soak: both serving modes under the workload at once for a long while, a
// line per mode after every period of load, and a verdict at the end
// (soak_rule.h): totals that held, memory and coroutine frames that did not
// keep growing.
//
// Every period ends with a pause: no call starts, every call ends, and the
// soak reads each mode's accounts (their exact total, and the transfers
// committed, from the ledger itself) and then each server's /metrics once it
// reports no call in flight. So every sample is taken at the same load, none.
#pragma once

#include <string>

#include "client/common/exit_codes.h"
#include "client/load/options.h"
#include "coro/completion_queue_threads.h"

namespace ledger::load {

// The accounts of `mode` in a soak: the --account_prefix, the mode's name and
// a dash, then 0 .. --accounts-1. Each mode has its own, so their totals are
// apart even when both modes serve one store.
std::string SoakAccountPrefix(const std::string& account_prefix, const std::string& mode);

// Prints the samples and the verdict on stdout; kSuccess if the soak passed.
ExitCode RunSoak(const Options& options, coro::CompletionQueueThreads& client);

}  // namespace ledger::load
