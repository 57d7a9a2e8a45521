# The README's two commands: `make demo` and `make test`.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
LEDGER ?= ledger-demo

.PHONY: demo test deps benchmarks clean-demo

# Debian's LMDB and pkg-config, installed once if missing.
deps:
	@dpkg -s liblmdb-dev pkg-config >/dev/null 2>&1 || { \
		echo "installing liblmdb-dev and pkg-config"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq liblmdb-dev pkg-config; }

# Builds `desk` and runs the demo on an embedded ledger in ./$(LEDGER).
demo: deps
	$(SWIFT) build --product desk
	$$($(SWIFT) build --show-bin-path)/desk demo --ledger $(LEDGER)

test: deps
	$(SWIFT) test

# Slow (release build of the benchmark package, several minutes); see docs/BENCHMARKS.md.
benchmarks: deps
	$(SWIFT) package --package-path Benchmarks benchmark --no-progress

clean-demo:
	rm -rf $(LEDGER)
