# The two commands of the README: `make demo` (the main job) and `make test` (the whole test suite).
# Both run scripts/setup.sh first, which fetches libtorch and Fashion-MNIST when missing.
SWIFT ?= swift

.PHONY: setup demo test build release bench clean

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

demo: release
	.build/release/dimr info

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test

bench: release
	.build/release/dimr-bench

clean:
	rm -rf .build
