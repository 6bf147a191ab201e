# The two commands of the README: `make demo` (the main job) and `make test` (the whole test suite).
# Both run scripts/setup.sh first, which fetches libtorch and Fashion-MNIST when missing.
SWIFT ?= swift

.PHONY: setup demo test build release bench fuzz serve serve-load serve-browser clean

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

BUNDLED ?= models/dimr-fmnist-3r.safetensors

demo: release
	.build/release/dimr info
	.build/release/dimr sample $(BUNDLED) --per-class 8 --sampler unipc-2 --steps 5 --guidance constant --scale 1.0 --output demo --overwrite
	@echo "demo: the grid of all ten classes is demo/grid.png"

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test

bench: release
	.build/release/dimr-bench ops
	OMP_WAIT_POLICY=PASSIVE .build/release/dimr-bench model --preset fmnist-3r --repeats 5 --batch 32 --steps 2 --sample-batch 10 \
	    --nfe 250 --ours-sampler unipc-2 --ours-nfe 5 --checkpointing off --threads 1

# libFuzzer on every reader of user files, FUZZ_SECONDS each (default 600); the corpus and any crash
# go to Tests/FuzzCorpus/<target>/, which `make test` replays without the fuzzer.
fuzz: setup
	scripts/fuzz.sh

# `dimr serve` with the bundled model on http://127.0.0.1:8080/ (Ctrl-C stops it).
serve: release
	.build/release/dimr serve $(BUNDLED)

# The server's load test (50 concurrent clients, 500 requests; prints requests/s, p50/p99, memory) and its
# browser test (installs Debian's chromium and chromium-driver first: large); neither is part of `make test`'s run
# unless enabled (the browser test runs there when chromium is installed).
serve-load: setup
	$(SWIFT) build --build-tests
	DIMR_LOAD_TEST=1 $(SWIFT) test --skip-build --filter LoadTests

serve-browser:
	scripts/setup.sh
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --filter BrowserTests

clean:
	rm -rf .build
