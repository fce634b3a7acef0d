# The two commands a user needs: `make run` and `make test`. Everything else is optional.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
WERROR ?= $(or $(GPUFLEET_WERROR),OFF)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BIN := $(BUILD_DIR)/gpufleet

.PHONY: deps configure build binary run test bench format clean sanitize-build sanitize fuzz

# The sanitizer build (docs/RELIABILITY.md): clang, -O1 with line tables for readable reports,
# assertions on, AddressSanitizer and UndefinedBehaviorSanitizer, and libFuzzer's coverage
# instrumentation, in a build directory of its own. One build serves both the sanitized tests and
# the fuzz targets: building the libraries twice would cost CI minutes for nothing.
SAN_DIR ?= build-san
FUZZ_SECONDS ?= 60
FUZZ_PARALLEL ?= $(JOBS)
SAN_CMAKE := -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Sanitize \
	-DCMAKE_CXX_FLAGS_SANITIZE="-O1 -gline-tables-only" -DGPUFLEET_WERROR=$(WERROR) \
	-DGPUFLEET_SANITIZE=ON -DGPUFLEET_FUZZ=ON -DGPUFLEET_BENCH=OFF -DGPUFLEET_VERIFY_HEADERS=OFF
# Tests left out of the sanitized run, by ctest regular expression (make sanitize SAN_EXCLUDE=...).
SAN_EXCLUDE ?=

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DGPUFLEET_WERROR=$(WERROR) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Only the gpufleet binary: what `make run` needs.
binary: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target gpufleet

# The main job: the Stargate-class campus for 30 days under its example workload.
run: binary
	@mkdir -p out
	$(BIN) sim --fleet examples/fleets/stargate-abilene.yaml \
	  --workload examples/workloads/stargate-abilene.yaml \
	  --policy backfill --until 30d --report out/report.json

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

bench: build
	@$(BUILD_DIR)/gpufleet_bench
	@scripts/bench-sim $(BIN)
	@scripts/bench-scale $(BIN)
	@scripts/bench-pollux $(BIN)
	@scripts/bench-plan-capacity $(BIN)
	@scripts/bench-serve-fluid $(BIN)
	@scripts/bench-serve $(BUILD_DIR)

# Every test again, built with AddressSanitizer and UndefinedBehaviorSanitizer: any report fails.
sanitize-build: deps
	@cmake -S . -B $(SAN_DIR) $(SAN_CMAKE) >/dev/null
	@cmake --build $(SAN_DIR) -j $(JOBS)

sanitize: sanitize-build
	@cd $(SAN_DIR) && ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
	  UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS) \
	  $(if $(SAN_EXCLUDE),-E '$(SAN_EXCLUDE)')

# The libFuzzer targets (fuzz/), each run for FUZZ_SECONDS, FUZZ_PARALLEL at a time.
fuzz: sanitize-build
	@scripts/fuzz -b $(SAN_DIR) -t $(FUZZ_SECONDS) -j $(FUZZ_PARALLEL)

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(SAN_DIR) out
