# The README's commands. Each installs what is missing, then builds into
# build/ (CMake + Ninja, Release, ccache); Ninja rebuilds only what changed.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
# ccache keys on paths relative to the checkout, so a fresh clone elsewhere
# (as CI makes) reuses what an earlier build compiled.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

# Flags for `make run`, e.g. make run ARGS="--store_latency=0 --port=50060"
ARGS ?=

.PHONY: all deps configure build run postgres postgres-stop compare compare-ranges compare-check bench bench-micro bench-cpu bench-attribution bench-waiting bench-memory soak monitor test test-release test-asan test-tsan fuzz fuzz-build test-fuzz image-test clean

all: build

deps:
	@deploy/install-deps.sh test

# A tree that `make run` configured has no tests (BUILD_TESTING=OFF): the
# first build that needs them turns them on.
configure: deps
	@if [ ! -f $(BUILD_DIR)/build.ninja ] || \
	    grep -q '^BUILD_TESTING:BOOL=OFF' $(BUILD_DIR)/CMakeCache.txt; then \
	  cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DBUILD_TESTING=ON; \
	fi

build: configure
	cmake --build $(BUILD_DIR)

# Running needs only the compilers and libraries, not the test tools, and
# builds only the server and the `ledger` CLI that calls it.
run:
	@deploy/install-deps.sh build
	@test -f $(BUILD_DIR)/build.ninja || \
	  cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DBUILD_TESTING=OFF
	cmake --build $(BUILD_DIR) --target ledger-server ledger
	$(BUILD_DIR)/service/ledger-server $(ARGS)

# A throwaway PostgreSQL 15 for the server's PostgreSQL store: its data in
# $(BUILD_DIR)/postgres, reached only through a Unix socket (no TCP port to
# clash), never Debian's own cluster. Prints the DSN and the `make run` that
# uses it; if it is already running, only prints them.
# deploy/postgres/local_cluster.sh says the rest.
POSTGRES_DIR = $(BUILD_DIR)/postgres
postgres: deps
	@dsn=$$(deploy/postgres/local_cluster.sh start $(POSTGRES_DIR)) && \
	  echo "PostgreSQL 15 is running in $(POSTGRES_DIR), log in $(POSTGRES_DIR)/postgres.log; its DSN:" && \
	  echo "  $$dsn" && \
	  echo "The server on it:" && \
	  echo "  make run ARGS=\"--store=postgres --postgres_dsn='$$dsn'\"" && \
	  echo "Stop it with make postgres-stop."

postgres-stop:
	deploy/postgres/local_cluster.sh stop $(POSTGRES_DIR)

# Coroutines vs threads on this machine: a server per mode, the same workload
# at each level, the table and plot into docs/compare/ (what the README shows).
# Each mode's 15 s per level are 3 alternating rounds of 5 s (each after 1 s of
# warmup): every figure is their median with its range. About 3 minutes.
# E.g. make compare COMPARE_ARGS="--levels=16,256 --duration=3s"
COMPARE_ARGS ?= --levels=16,256,2048,8192 --duration=15s --rounds=3
# make compare COMPARE_STORE=postgres: the same on PostgreSQL, both servers on
# make postgres's database, each mode with the default pool (8 connections),
# into docs/compare-postgres/.
COMPARE_STORE ?= memory
compare: build
ifeq ($(COMPARE_STORE),postgres)
	LEDGER_POSTGRES_DSN="$$(deploy/postgres/local_cluster.sh start $(POSTGRES_DIR))" \
	  LEDGER_SERVER_FLAGS=--store=postgres \
	  client/load/compare_modes.sh $(BUILD_DIR) docs/compare-postgres $(COMPARE_ARGS)
else
	client/load/compare_modes.sh $(BUILD_DIR) docs/compare $(COMPARE_ARGS)
endif

# One run's rounds do not bound the next run (the machine drifts between
# runs), so the README states ranges over several: make compare-ranges runs
# make compare COMPARE_RUNS times, keeps each run's JSON in docs/compare/runs/
# and writes the table over all their rounds to docs/compare/ranges.md. About
# 3 minutes a run. make compare-check runs it once more and says which figures
# landed outside those ranges (exit status 1 if any did).
COMPARE_RUNS ?= 4
compare-ranges: build
	rm -rf docs/compare/runs && mkdir -p docs/compare/runs
	for run in $$(seq $(COMPARE_RUNS)); do \
	  client/load/compare_modes.sh $(BUILD_DIR) docs/compare $(COMPARE_ARGS) && \
	  cp docs/compare/compare.json docs/compare/runs/run-$$run.json || exit 1; \
	done
	/usr/bin/python3 tests/bench/compare_ranges.py table docs/compare/runs/*.json \
	  | tee docs/compare/ranges.md
compare-check: build
	client/load/compare_modes.sh $(BUILD_DIR) docs/compare $(COMPARE_ARGS)
	/usr/bin/python3 tests/bench/compare_ranges.py check docs/compare/runs/*.json \
	  docs/compare/compare.json

# The performance figures of docs/performance.md, not part of `make test` (timings on a
# shared machine cannot pass or fail): every benchmark below, one after the
# other, each one's output also written to docs/bench/<name>.txt, which the
# page quotes. About 20 minutes on 2 cores; run it on an otherwise idle
# machine. Each part runs alone too, e.g. `make bench-cpu`.
BENCH_PARTS = bench-micro bench-cpu bench-attribution bench-waiting bench-memory
bench:
	@mkdir -p docs/bench
	@for part in $(BENCH_PARTS); do \
	  echo "== make $$part"; \
	  { $(MAKE) --no-print-directory $$part 2>&1; echo $$? > $(BUILD_DIR)/bench-status; } \
	    | tee docs/bench/$${part#bench-}.txt; \
	  [ "$$(cat $(BUILD_DIR)/bench-status)" = 0 ] || exit 1; \
	done

# Microbenchmarks of coro/ (tests/bench/): Google Benchmark's table of what one
# await costs on each path. Three runs of each, shown as mean, median and
# spread, since the machine is shared.
# E.g. make bench-micro BENCH_ARGS="--benchmark_filter=Mutex --benchmark_repetitions=5"
BENCH_ARGS ?=
# A tree configured before libbenchmark-dev was installed has no coro_bench
# until CMake looks again.
bench-micro: configure
	@grep -q coro_bench $(BUILD_DIR)/build.ninja || { cmake $(BUILD_DIR) >/dev/null; \
	  grep -q coro_bench $(BUILD_DIR)/build.ninja; } || \
	  { echo "make bench-micro: CMake found no Google Benchmark (libbenchmark-dev)" >&2; exit 1; }
	cmake --build $(BUILD_DIR) --target coro_bench
	$(BUILD_DIR)/tests/bench/coro_bench --benchmark_repetitions=3 \
	  --benchmark_report_aggregates_only=true $(BENCH_ARGS)

# What the coroutine layer and the ledger cost in server CPU per call, against
# a minimal hand-written completion-queue server (tests/bench/baseline/), with
# gRPC's callback API and coro/ alone on the same map as two more yardsticks,
# and the hand-written server again on the product's own store: each server
# alone on core 0, ledger-load on core 1, GetAccount and Transfer measured
# apart at no store latency; rounds alternate the servers; medians and ranges
# of CPU microseconds per call and the ratios to each hand-written server.
# E.g. make bench-cpu BENCH_CPU_ARGS="--rounds=5 --duration=20 --servers=hand-written,coroutine-layer"
BENCH_CPU_ARGS ?=
bench-cpu: configure
	cmake --build $(BUILD_DIR) --target ledger-server ledger-load handwritten_cq_server \
	  callback_server coroutine_layer_server handwritten_on_store_server
	/usr/bin/python3 tests/bench/cpu_per_call.py --build_dir=$(BUILD_DIR) $(BENCH_CPU_ARGS)

# Where that CPU goes: perf samples of each server under the same load, split
# into named pieces (tests/bench/cpu_attribution.py lists their patterns), each
# with its share of the samples and its microseconds per call. Needs Debian's
# linux-perf; without it the script says it skipped. Not part of `make test`.
# E.g. make bench-attribution BENCH_ATTRIBUTION_ARGS="--servers=coroutine --call_graph=fp"
BENCH_ATTRIBUTION_ARGS ?=
bench-attribution: configure
	cmake --build $(BUILD_DIR) --target ledger-server ledger-load handwritten_cq_server \
	  coroutine_layer_server
	/usr/bin/python3 tests/bench/cpu_attribution.py --build_dir=$(BUILD_DIR) $(BENCH_ATTRIBUTION_ARGS)

# Throughput of coroutine mode with 10,000 calls in flight when every store
# call waits 1 ms, against no wait (tests/bench/waiting_throughput.py), and of
# the hand-written server holding each call as long: the server on core 0,
# ledger-load on core 1, 5 rounds rotating which goes first.
# E.g. make bench-waiting BENCH_WAITING_ARGS="--rounds=3 --latency=5ms"
BENCH_WAITING_ARGS ?=
bench-waiting: configure
	cmake --build $(BUILD_DIR) --target ledger-server ledger-load handwritten_cq_server
	/usr/bin/python3 tests/bench/waiting_throughput.py --build_dir=$(BUILD_DIR) $(BENCH_WAITING_ARGS)

# Resident memory per waiting call in each mode (tests/bench/memory_per_call.py),
# not part of `make test`: 2,000 calls held in the embedded store, alternating
# the two modes and the hand-written baseline holding its calls on alarms (the
# gRPC floor) for 3 rounds, each split into malloc heaps, thread stacks and the
# rest, and with gdb installed the bytes malloc handed out and the frames of a
# waiting call. E.g. make bench-memory BENCH_MEMORY_ARGS="--calls=5000 --arena_max=2"
BENCH_MEMORY_ARGS ?=
bench-memory: configure
	cmake --build $(BUILD_DIR) --target ledger-server handwritten_cq_server
	/usr/bin/python3 tests/bench/memory_per_call.py --server $(BUILD_DIR)/service/ledger-server \
	  --baseline $(BUILD_DIR)/tests/bench/baseline/handwritten_cq_server \
	  --proto_root proto $(BENCH_MEMORY_ARGS)

# A soak, not part of `make test`: one ledger-server per mode on the embedded
# store (default --store_latency, 1ms), both loaded at once by ledger-load
# --soak for DURATION (90s, 10m, 2h ...), SOAK_RATE calls/s per mode of all
# seven RPCs; a line per mode every SOAK_REPORT_EVERY (calls/s, p99, resident
# memory, threads, coroutine frames, the total of the mode's accounts), then
# the verdict. Exits 1 if a total changed, an audit or a quiet moment failed,
# or memory or frames kept growing (the rule: client/load/README.md). The store keeps every transfer, about
# 0.6 KB each, so an hour at 500 calls/s holds over 1 GB per mode.
# E.g. make soak DURATION=1h SOAK_RATE=200 SOAK_ARGS=--soak_memory_tolerance=0.05
DURATION ?= 10m
SOAK_RATE ?= 500
SOAK_REPORT_EVERY ?= 1m
SOAK_ARGS ?=
soak: configure
	cmake --build $(BUILD_DIR) --target ledger-server ledger-load
	client/load/mode_servers.sh $(BUILD_DIR) --soak --duration=$(DURATION) \
	  --rate=$(SOAK_RATE) --report_every=$(SOAK_REPORT_EVERY) $(SOAK_ARGS)

# Debian's Prometheus scraping the server that `make run` starts (its metrics on
# localhost:9464), its UI on http://localhost:9099; data kept in $(BUILD_DIR)/prometheus.
# Not 9090: Debian's prometheus package runs its own service there.
# E.g. make monitor MONITOR_ADDRESS=0.0.0.0:9099 to reach it from another machine.
MONITOR_ADDRESS ?= localhost:9099
monitor: deps
	@echo "Prometheus UI: http://$(MONITOR_ADDRESS) (scraping localhost:9464; run the server with make run)"
	/usr/bin/prometheus --config.file=deploy/prometheus/prometheus.yml \
	  --storage.tsdb.path=$(BUILD_DIR)/prometheus --storage.tsdb.retention.time=2d \
	  --web.listen-address=$(MONITOR_ADDRESS)

# The whole suite, then the library and server tests again under
# AddressSanitizer+UndefinedBehaviorSanitizer and under ThreadSanitizer, a
# minute of fuzzing, then the container image built and run for real.
test: test-release test-asan test-tsan test-fuzz image-test

CTEST = ctest --output-on-failure --no-tests=error --timeout 600 -j2

test-release: build
	$(CTEST) --test-dir $(BUILD_DIR)

# Sanitizer builds cover coro/, the stores (PostgreSQL's in-process, through its
# conformance suite, where the calls race hardest) and the server on the
# embedded store; the Python client adds nothing there.
# Not coro_allocation_tests: it counts allocations with its own operator new,
# which the sanitizers replace with theirs (CMake leaves it out of their trees).
SANITIZED_TARGETS = coro_tests ledger_tests ledger_unit_tests ledger_fault_tests postgres_store_tests \
  ledger-server ledger_fuzz_replay logging_unit_tests
SANITIZED_SKIP = python_client|_on_postgres

build-%/build.ninja:
	cmake -S . -B build-$* -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DLEDGER_SANITIZE=$(if $(filter asan,$*),address$(COMMA)undefined,thread)

COMMA = ,

test-asan: deps build-asan/build.ninja
	cmake --build build-asan --target $(SANITIZED_TARGETS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  $(CTEST) --test-dir build-asan -E '$(SANITIZED_SKIP)'

test-tsan: deps build-tsan/build.ninja
	cmake --build build-tsan --target $(SANITIZED_TARGETS)
	TSAN_OPTIONS=suppressions=$(CURDIR)/tests/tsan.supp \
	  $(CTEST) --test-dir build-tsan -E '$(SANITIZED_SKIP)'

# The ledger fuzzer (tests/fuzz/): libFuzzer with ASan+UBSan, built by clang
# into build-fuzz/ (only the fuzzer and the libraries it links). `make fuzz`
# runs until Ctrl-C, or for FUZZ_SECONDS; what it learns stays in
# build-fuzz/corpus/ for the next run, and each crash is written to
# build-fuzz/crashes/ (replay one with build-fuzz/tests/fuzz/ledger_fuzzer FILE).
# E.g. make fuzz FUZZ_SECONDS=600 FUZZ_ARGS=-jobs=2
FUZZ_SECONDS ?= 0
FUZZ_ARGS ?=
FUZZER = build-fuzz/tests/fuzz/ledger_fuzzer
FUZZ_FLAGS = -max_len=4096 -timeout=30 -print_final_stats=1

build-fuzz/build.ninja:
	cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEDGER_FUZZ=ON \
	  -DCMAKE_CXX_COMPILER=clang++-14

fuzz-build: deps build-fuzz/build.ninja
	cmake --build build-fuzz --target ledger_fuzzer

# The committed inputs are read, never written: new ones go to the first directory.
fuzz: fuzz-build
	mkdir -p build-fuzz/corpus build-fuzz/crashes
	$(FUZZER) $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=build-fuzz/crashes/ \
	  $(FUZZ_ARGS) build-fuzz/corpus tests/fuzz/corpus tests/fuzz/regressions

# A minute of fuzzing from the committed inputs, copied to a scratch directory;
# any crash, leak, timeout or broken invariant fails it, its input kept in
# build-fuzz/test-crashes/. The fuzzer's progress goes to build-fuzz/test-fuzz.log;
# printed are its totals, or on failure the report (new-input lines left out).
test-fuzz: fuzz-build
	@mkdir -p build-fuzz/test-crashes
	@echo "test-fuzz: fuzzing for 60 s, the log in build-fuzz/test-fuzz.log"
	@scratch=$$(mktemp -d) && cp tests/fuzz/corpus/* tests/fuzz/regressions/* "$$scratch"/ && \
	  $(FUZZER) $(FUZZ_FLAGS) -max_total_time=60 -artifact_prefix=build-fuzz/test-crashes/ \
	    "$$scratch" > build-fuzz/test-fuzz.log 2>&1; status=$$?; rm -rf "$$scratch"; \
	  if [ $$status -eq 0 ]; then \
	    grep -E '^(stat::|Done )' build-fuzz/test-fuzz.log; \
	  else \
	    grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)' build-fuzz/test-fuzz.log; \
	    echo "test-fuzz: the fuzzer failed (exit $$status); its input is in build-fuzz/test-crashes/" >&2; \
	  fi; \
	  exit $$status

# The Dockerfile built with buildah (no daemon) and its server run from the image
# and called from outside: tests/image/image_test.py says what it checks. The
# Debian base images are made once with debootstrap and kept (LEDGER_IMAGE_CACHE,
# default /var/cache/ledger-image). Root only.
image-test: deps
	/usr/bin/python3 tests/image/image_test.py

# Stops the clusters that live in what it deletes first: `make postgres`'s, and
# the tests' if a test run was cut short.
clean:
	@for cluster in $(POSTGRES_DIR) $(BUILD_DIR)/test-postgres build-asan/test-postgres build-tsan/test-postgres; do \
	  deploy/postgres/local_cluster.sh stop $$cluster || exit 1; \
	done
	rm -rf $(BUILD_DIR) build-asan build-tsan build-fuzz
