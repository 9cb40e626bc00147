#include "service/metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>

#include "contract/metric_names.h"

namespace ledger::metrics {
namespace {

// The fields of /proc/self/stat we export (proc(5) numbers them from 1).
struct ProcessStat {
  double user_ticks = 0;      // 14
  double system_ticks = 0;    // 15
  double threads = 0;         // 20
  double start_ticks = 0;     // 22, since boot
  double virtual_bytes = 0;   // 23
  double resident_pages = 0;  // 24
};

ProcessStat ReadProcessStat() {
  std::ifstream file("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces; fields after it follow its ')'.
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::vector<std::string> field(3);  // fields 1 and 2 are not in the stream
  for (std::string value; fields >> value;) field.push_back(value);
  ProcessStat stat;
  auto number = [&field](size_t n) { return n < field.size() ? std::stod(field[n]) : 0.0; };
  stat.user_ticks = number(14);
  stat.system_ticks = number(15);
  stat.threads = number(20);
  stat.start_ticks = number(22);
  stat.virtual_bytes = number(23);
  stat.resident_pages = number(24);
  return stat;
}

// Seconds since the epoch at which the machine booted ("btime" in /proc/stat).
double BootTime() {
  std::ifstream file("/proc/stat");
  for (std::string key; file >> key;) {
    if (key == "btime") {
      double seconds = 0;
      file >> seconds;
      return seconds;
    }
    file.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

double OpenFileDescriptors() {
  DIR* directory = opendir("/proc/self/fd");
  if (directory == nullptr) return 0;
  double count = 0;
  while (const dirent* entry = readdir(directory)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(directory);
  return count - 1;  // the descriptor opendir itself holds
}

prometheus::MetricFamily Family(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return {name, help, type, {metric}};
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  static const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  static const double page_bytes = static_cast<double>(sysconf(_SC_PAGESIZE));
  static const double boot_time = BootTime();
  const ProcessStat stat = ReadProcessStat();
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  using prometheus::MetricType;
  return {
      Family(kProcessCpuSecondsTotal, "Total user and system CPU time spent in seconds.",
             MetricType::Counter, (stat.user_ticks + stat.system_ticks) / ticks_per_second),
      Family(kProcessResidentMemoryBytes, "Resident memory size in bytes.", MetricType::Gauge,
             stat.resident_pages * page_bytes),
      Family(kProcessVirtualMemoryBytes, "Virtual memory size in bytes.", MetricType::Gauge,
             stat.virtual_bytes),
      Family(kProcessOpenFds, "Number of open file descriptors.", MetricType::Gauge,
             OpenFileDescriptors()),
      Family(kProcessMaxFds, "Maximum number of open file descriptors.", MetricType::Gauge,
             static_cast<double>(files.rlim_cur)),
      Family(kProcessStartTimeSeconds, "Start time of the process since unix epoch in seconds.",
             MetricType::Gauge, boot_time + stat.start_ticks / ticks_per_second),
      Family(kProcessThreads, "Number of OS threads in the process.", MetricType::Gauge,
             stat.threads),
  };
}

}  // namespace ledger::metrics
