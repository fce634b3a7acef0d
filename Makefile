# The two commands a user needs: `make run` and `make test`. Everything else is optional.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
WERROR ?= $(or $(GPUFLEET_WERROR),OFF)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BIN := $(BUILD_DIR)/gpufleet

.PHONY: deps configure build binary run test bench format clean

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
	@scripts/bench-pollux $(BIN)

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) out
