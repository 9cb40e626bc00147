# The README's commands. Each installs what is missing, then builds once
# (CMake + Ninja, Release, ccache) into build/.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
# Flags for `make run`, e.g. make run ARGS="--store_latency=0 --port=50060"
ARGS ?=

.PHONY: all deps build run test clean

all: build

deps:
	@deploy/install-deps.sh build

build: deps
	@test -f $(BUILD_DIR)/build.ninja || \
	  cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)
	cmake --build $(BUILD_DIR)

run: build
	$(BUILD_DIR)/service/ledger-server $(ARGS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure --no-tests=error --timeout 600 -j2

clean:
	rm -rf $(BUILD_DIR)
