# The README's two commands: `make demo` and `make test`.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
LEDGER ?= ledger-demo

.PHONY: demo test deps benchmarks clean-demo

# Debian's LMDB, pkg-config and python3 (the audit script's test), installed once if missing.
deps:
	@dpkg -s liblmdb-dev pkg-config python3 >/dev/null 2>&1 || { \
		echo "installing liblmdb-dev, pkg-config and python3"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq liblmdb-dev pkg-config python3; }

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
