# Two entry points (see README): `make run` and `make test`. Everything else is a helper.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup setup-test thesaurus ingest serve bench bench-load eval-xquad clean

THESAURUS := /usr/share/openthesaurus-de/openthesaurus.txt

# The virtualenv with the CPU build of torch takes ~2.4 GB: say so before pip fails half-way with
# "No space left on device" (a CI run did, on a disk that 32 stale clones had filled).
NEED_MB := 3000

$(STAMP): pyproject.toml
	@free=$$(df -Pm . | awk 'NR==2 {print $$4}'); if [ -n "$$free" ] && [ "$$free" -lt $(NEED_MB) ]; then \
		echo "error: only $$free MB free on the disk of $(CURDIR); setting up needs about $(NEED_MB) MB (the virtualenv with torch is ~2.4 GB)." >&2; exit 1; fi
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first, pinned: pip then takes the local CPU wheel instead of a multi-GB CUDA build
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[test]"
	touch $(STAMP)

setup: $(STAMP) thesaurus

# Debian packages, installed with one `apt-get update` for all that are missing:
# - openthesaurus-de-text: German synonyms (OpenThesaurus, LGPL) the answerer ranks sentences with.
#   Without it (no root, say) the assistant still runs, ranking by the question's own words only
#   (it logs a warning).
# - chromium (tests only): Playwright drives it; it never downloads a browser.
APT_INSTALL = apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq
DEBS_RUN = $$(test -f $(THESAURUS) || echo openthesaurus-de-text)
DEBS_TEST = $$(echo $(DEBS_RUN) $$(command -v chromium >/dev/null 2>&1 || echo chromium))

thesaurus:
	@missing="$(DEBS_RUN)"; [ -z "$$missing" ] || ($(APT_INSTALL) $$missing >/dev/null) \
		|| echo "warning: could not install openthesaurus-de-text; answers are ranked without German synonyms"

setup-test: $(STAMP)
	@missing="$(DEBS_TEST)"; [ -z "$$missing" ] || ($(APT_INSTALL) $$missing >/dev/null) \
		|| echo "warning: could not install $$missing (the browser tests need chromium)"

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
