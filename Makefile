# The README's commands. Each installs what is missing, then builds into
# build/ (CMake + Ninja, Release, ccache); Ninja rebuilds only what changed.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
# Flags for `make run`, e.g. make run ARGS="--store_latency=0 --port=50060"
ARGS ?=

.PHONY: all deps configure build run test clean

all: build

deps:
	@deploy/install-deps.sh build

configure: deps
	@test -f $(BUILD_DIR)/build.ninja || \
	  cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: configure
	cmake --build $(BUILD_DIR)

# Builds only the server, so the first `make run` does not wait for the tests.
run: configure
	cmake --build $(BUILD_DIR) --target ledger-server
	$(BUILD_DIR)/service/ledger-server $(ARGS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure --no-tests=error --timeout 600 -j2

clean:
	rm -rf $(BUILD_DIR)
