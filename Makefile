# The README's two commands: `make demo` and `make test`.
# Debian packages come from apt-get (as root, or with sudo); pm4py from PyPI.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
LEDGER ?= ledger-demo

.PHONY: demo test deps postgres test-tools docs-check benchmarks faults fuzz fuzz-short clean-demo install lmdb-reader-race

# Debian's LMDB, pkg-config and python3 with venv (the audit script and pm4py), installed once if missing.
deps:
	@dpkg -s liblmdb-dev pkg-config python3 python3-venv >/dev/null 2>&1 || { \
		echo "installing liblmdb-dev, pkg-config, python3 and python3-venv"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq liblmdb-dev pkg-config python3 python3-venv; }

# Debian's PostgreSQL server, for the PostgreSQL backend's tests and benchmarks
# (each run starts a throwaway cluster of its own; see scripts/pg-cluster.sh).
postgres:
	@dpkg -s postgresql >/dev/null 2>&1 || { echo "installing postgresql"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq postgresql; }

# What some tests use to check the exports the way their users would: headless
# Chromium (the HTML report) and pm4py in a virtual environment (XES, OCEL), with
# cryptography (the Python checkpoint check of scripts/verify_export.py), and
# schemathesis with curl (the EmbeddedDesk example against its OpenAPI document).
test-tools:
	@command -v chromium >/dev/null 2>&1 || { echo "installing chromium"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }
	@.build/pyvenv/bin/python -c "import pm4py, cryptography, jsonschema, schemathesis" >/dev/null 2>&1 || { echo "installing pm4py, cryptography, jsonschema and schemathesis into .build/pyvenv"; \
		python3 -m venv .build/pyvenv && .build/pyvenv/bin/pip install -q pm4py cryptography jsonschema schemathesis; }
	@command -v curl >/dev/null 2>&1 || { echo "installing curl"; $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq curl; }

# Builds `desk` and runs the demo on an embedded ledger in ./$(LEDGER).
demo: deps
	$(SWIFT) build --product desk
	$$($(SWIFT) build --show-bin-path)/desk demo --ledger $(LEDGER)

# The documentation and the EmbeddedDesk example first, then the main suite
# beside a throwaway PostgreSQL cluster, then the LMDB-only desk (the package
# without its default trait PostgreSQL).
test: deps postgres test-tools
	bash scripts/check-docs.sh
	$(SWIFT) test --package-path Examples/EmbeddedDesk
	bash scripts/schemathesis.sh
	bash scripts/fuzz.sh --debug 10
	bash scripts/with-postgres.sh $(SWIFT) test
	bash scripts/check-lmdb-only.sh

# The DocC documentation of every library module, built with the toolchain's docc: no warning allowed.
docs-check:
	bash scripts/check-docs.sh

# The long pass of the damaged-file test (make test runs 40 flipped bytes and 10
# cuts): 1,000 flipped bytes and 50 cuts of a ledger's data.mdb, each tried with
# desk verify, stats, replay and export in child processes (a few minutes).
faults: deps
	TICKETLEDGER_CORRUPTION_FLIPS=1000 TICKETLEDGER_CORRUPTION_CUTS=50 $(SWIFT) test --filter CorruptionTests

# libFuzzer on what reads untrusted bytes (Fuzz/: records, payloads, CSV, JSON
# Lines import, export verification), each target for FUZZ_SECONDS (10 minutes
# unless set) from its seed corpus in Fuzz/Corpus; make test runs 10 seconds each
# of a debug build (make fuzz-short).
FUZZ_SECONDS ?= 600
fuzz: deps
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-short: deps
	bash scripts/fuzz.sh --debug 10

# Slow (release build of the benchmark package, several minutes); see docs/BENCHMARKS.md.
benchmarks: deps postgres
	bash scripts/with-postgres.sh --durable $(SWIFT) package --package-path Benchmarks benchmark --no-progress

# LMDB 0.9's reader race that made verify report a missing record (see
# scripts/lmdb-reader-race.c): READER_RACE_SECONDS (60) without, then with, the
# retry LMDBEnvironment does, under four writers and four busy loops. Fails if
# a read goes back with the retry.
READER_RACE_SECONDS ?= 60
lmdb-reader-race: deps
	cc -O2 -o .build/lmdb-reader-race scripts/lmdb-reader-race.c -llmdb
	for i in 1 2 3 4; do timeout $$(( $(READER_RACE_SECONDS) * 2 + 10 )) sh -c 'while :; do :; done' & done; \
	status=0; for retry in 0 1; do dir=$$(mktemp -d); RETRY=$$retry .build/lmdb-reader-race $$dir 4 $(READER_RACE_SECONDS) || status=1; rm -rf $$dir; done; \
	kill $$(jobs -p) 2>/dev/null; exit $$status

clean-demo:
	rm -rf $(LEDGER)

# Installs the release desk, its man page (ArgumentParser's generate-manual
# plugin) and its bash, zsh and fish completions under $(DESTDIR)$(PREFIX).
PREFIX ?= /usr/local
install: deps
	$(SWIFT) build -c release --product desk
	mkdir -p .build/man
	$(SWIFT) package --allow-writing-to-directory .build/man generate-manual --output-directory .build/man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	bin="$$($(SWIFT) build -c release --show-bin-path)/desk"; \
		install -m 755 "$$bin" $(DESTDIR)$(PREFIX)/bin/desk && \
		"$$bin" --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/desk && \
		"$$bin" --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_desk && \
		"$$bin" --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/desk.fish
	install -m 644 .build/man/desk.1 $(DESTDIR)$(PREFIX)/share/man/man1/desk.1
