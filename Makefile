# genlab front door. On a fresh Debian machine as root:
#   make tour   build, run the quick tour of tutorials, write reports/tour.md
#   make test   build, run every test
#   make bench  benchmarks against peers measured in the same run -> reports/
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=
PY := /usr/bin/python3

.PHONY: all deps configure build test tour papers bench sanitize tsan fuzz eigen clang-cmake4 offline-deps-check gpu-check docs clean

all: build

deps:
	bash scripts/deps.sh

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j$(JOBS)

# Regenerates the PyTorch parity fixtures when python3-torch is importable and
# checks against those; otherwise against the committed ones.
test: build
	@if $(PY) -c "import torch" 2>/dev/null; then \
	  mkdir -p $(BUILD)/parity && $(PY) tests/parity/make_fixtures.py $(BUILD)/parity; \
	  export GENLAB_PARITY_DIR=$(abspath $(BUILD))/parity; \
	else echo "python3-torch missing: checking the committed parity fixtures"; fi; \
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 900

# the tour needs only the tutorials (and the library): not the tests and benchmarks, half the build
TUTORIAL_TARGETS := $(patsubst tutorials/%/main.cpp,tutorial_%,$(wildcard tutorials/*/main.cpp))
tour: configure
	cmake --build $(BUILD) -j$(JOBS) --target $(TUTORIAL_TARGETS)
	bash scripts/tour.sh $(BUILD)

bench: build
	bash scripts/bench.sh $(BUILD)

# Every tutorial's full schedule -> papers/NN_name.md (hours on 2 cores; not run by CI).
papers: build
	bash scripts/papers.sh $(BUILD)

# ASan + UBSan build of the test suite, and bounded libFuzzer runs of the file parsers.
sanitize: deps
	bash scripts/sanitize.sh

# ThreadSanitizer over the threaded tests (clang + libomp/Archer, Eigen GEMM).
tsan: deps
	bash scripts/tsan.sh

fuzz: deps
	bash scripts/fuzz.sh

# The same tests against the Eigen GEMM backend (-DGENLAB_BLAS=eigen).
eigen: deps
	bash scripts/eigen_check.sh

# The whole suite built by clang with the newest CMake from PyPI (a venv in build-clang/).
clang-cmake4: deps
	bash scripts/clang_cmake4_check.sh

# scripts/deps.sh --download and --from into a fresh prefix (build-offline/), and the CPU
# library and CLI built and run against it, checking that the prefix's files were used.
offline-deps-check: deps
	bash scripts/offline_deps_check.sh

# On a machine with an NVIDIA GPU: CUDA build (build-gpu/), GPU tests, op harness, compute-sanitizer,
# MLP training and the CUDA benchmark on the device -> reports/gpu.md. No Debian packages there?
# GENLAB_DEPS_PREFIX=P (a prefix made by `scripts/deps.sh --from`). Not run by CI (no GPU).
gpu-check:
	bash scripts/gpu_check.sh

docs: build
	bash scripts/gen_ops_doc.sh $(BUILD)

clean:
	rm -rf $(BUILD) build-asan build-tsan build-eigen build-clang build-offline build-gpu
