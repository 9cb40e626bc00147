// The progress line: once a second while load runs, calls so far, their
// rate, calls in flight and errors, rewritten in place. Only when stderr is
// a terminal; a log file or a test gets the one-line results instead.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/time/time.h"
#include "client/load/load_driver.h"

namespace ledger::load {

class ProgressLine {
 public:
  ProgressLine();  // enabled if stderr is a terminal

  // A callback for RunLoad that shows `label` and the snapshot; empty (so
  // RunLoad does nothing each second) when disabled.
  std::function<void(const ProgressSnapshot&)> For(std::string label);
  // Erases the line, before a log line or the results are printed.
  void Clear();

 private:
  bool enabled_;
  bool shown_ = false;
  int64_t last_completed_ = 0;
  absl::Duration last_elapsed_;
};

}  // namespace ledger::load
