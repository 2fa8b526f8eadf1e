# Every target installs what it needs first; all are safe to run on a fresh clone.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck pytest postgres chromium tools clean bench bench-quick fuzz soak

install: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/senderpools serve --host 127.0.0.1 $(if $(PORT),--port $(PORT)) --database-url sqlite:///./senderpools.db

lint: install
	$(BIN)/ruff check senderpools tests bench examples
	$(BIN)/ruff format --check senderpools tests bench examples

typecheck: install
	$(BIN)/mypy
	$(BIN)/mypy examples

# The suite runs every HTTP test on SQLite and on a throwaway PostgreSQL cluster it starts itself;
# this only makes sure the server binaries are there (Debian's package, as root on CI).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null)

# The console's browser tests drive Debian's Chromium (never a browser Playwright downloads).
chromium:
	@test -x /usr/bin/chromium || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# The README's examples (run by the suite) use curl and jq.
tools:
	@command -v jq >/dev/null 2>&1 && command -v curl >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq curl >/dev/null)

pytest: install postgres chromium tools
	$(BIN)/pytest

test: lint typecheck pytest

# Benchmark (minutes; not part of test): wrk from Debian, Prism pinned in bench/package.json, PostgreSQL binaries.
# `make bench` writes bench/RESULTS.md (+ .json) and the README's table from it; `make bench-quick` runs every workload briefly into bench/results/.
bench bench-quick: install postgres
	@command -v wrk >/dev/null 2>&1 || (apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 wrk >/dev/null)
	@test -x bench/node_modules/.bin/prism || npm install --prefix bench --no-audit --no-fund --loglevel=error
	$(BIN)/python -m bench.run $(if $(filter bench-quick,$@),--quick)
	$(BIN)/python bench/edge.py $(if $(filter bench-quick,$@),--reps 1 --duration 2 --markdown bench/results/edge-quick.md,--markdown bench/EDGE.md --out bench/EDGE.json)
	$(if $(filter bench,$@),$(BIN)/python -m bench.readme)

# Longer contract fuzzing than `make test` runs (schemathesis, every operation, good and broken credentials,
# and its coverage phase: boundary values, unexpected methods, missing and extra parameters).
fuzz: install
	SENDERPOOLS_FUZZ_EXAMPLES=$${SENDERPOOLS_FUZZ_EXAMPLES:-400} SENDERPOOLS_FUZZ_RANDOM=1 SENDERPOOLS_FUZZ_COVERAGE=1 \
	  $(BIN)/pytest tests/test_fuzz.py -q -s

# 10 minutes of mixed load on loopback; fails on any error, or on p99 or RSS drift (not part of test).
soak: install
	$(BIN)/python -m bench.soak

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
