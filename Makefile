# Two entry points (see README): `make run` and `make test`. Everything else is a helper.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup setup-test thesaurus ingest serve bench bench-load eval-xquad clean

THESAURUS := /usr/share/openthesaurus-de/openthesaurus.txt

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first, pinned: pip then takes the local CPU wheel instead of a multi-GB CUDA build
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[test]"
	touch $(STAMP)

setup: $(STAMP) thesaurus

# German synonyms (OpenThesaurus, LGPL) from Debian: the answerer ranks sentences with them. Without
# root the assistant still runs, ranking by the question's own words only (it logs a warning).
thesaurus:
	@test -f $(THESAURUS) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openthesaurus-de-text >/dev/null) \
		|| echo "warning: could not install openthesaurus-de-text; answers are ranked without German synonyms"

# Debian's chromium for the browser tests (Playwright drives it; it never downloads a browser)
setup-test: setup
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

ingest: setup
	$(BIN)/assistant ingest

run: ingest
	$(BIN)/assistant serve

test: setup-test
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/assistant bench perf

bench-load: setup
	$(BIN)/assistant bench load

eval-xquad: setup
	$(BIN)/assistant eval --squad ../shared/bench/xquad-de/xquad.de.json --holdout 0.2 --out eval-out/xquad

clean:
	rm -rf $(VENV) data
