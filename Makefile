# The two commands of the README: `make demo` (the main job) and `make test` (the whole test suite).
# Both run scripts/setup.sh first, which fetches libtorch and Fashion-MNIST when missing.
SWIFT ?= swift

.PHONY: setup demo test build release bench fuzz clean

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

BUNDLED ?= models/dimr-fmnist-3r.safetensors

demo: release
	.build/release/dimr info
	.build/release/dimr sample $(BUNDLED) --per-class 8 --steps 20 --guidance constant --scale 1.0 --output demo
	@echo "demo: the grid of all ten classes is demo/grid.png"

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test

bench: release
	.build/release/dimr-bench ops
	.build/release/dimr-bench model --preset bench --batch 32

# libFuzzer on every reader of user files, FUZZ_SECONDS each (default 600); the corpus and any crash
# go to Tests/FuzzCorpus/<target>/, which `make test` replays without the fuzzer.
fuzz: setup
	scripts/fuzz.sh

clean:
	rm -rf .build
