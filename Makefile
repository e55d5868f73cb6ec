# Two entry points (see README): `make run` and `make test`. Everything else is a helper.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# every package's version as the README's numbers were measured (pip constraints)
LOCK := constraints.txt

.PHONY: run test setup setup-test lock debs ingest serve bench bench-load eval-holdout eval-blind2 eval-blind3 eval-blind4 eval-blinddev eval-blind5 eval-blind6 eval-xquad eval-english eval-typos eval-paraphrase eval-readerdev eval-pressdev eval-citizendev clean

THESAURUS := /usr/share/openthesaurus-de/openthesaurus.txt
DICTIONARY := /usr/share/trans/de-en

# The virtualenv with the CPU build of torch takes ~2.4 GB: say so before pip fails half-way with
# "No space left on device" (a CI run did, on a disk that 32 stale clones had filled).
NEED_MB := 3000

$(STAMP): pyproject.toml $(LOCK)
	@free=$$(df -Pm . | awk 'NR==2 {print $$4}'); if [ -n "$$free" ] && [ "$$free" -lt $(NEED_MB) ]; then \
		echo "error: only $$free MB free on the disk of $(CURDIR); setting up needs about $(NEED_MB) MB (the virtualenv with torch is ~2.4 GB)." >&2; exit 1; fi
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first, pinned: pip then takes the local CPU wheel instead of a multi-GB CUDA build
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -c $(LOCK) -e ".[test]"
	touch $(STAMP)

# The newest releases the ranges in pyproject.toml allow, written to constraints.txt. Numbers move
# with them: re-measure the README's tables (docs/measurements.md) before committing the new lock.
lock: $(STAMP)
	$(BIN)/pip install -q --upgrade --upgrade-strategy eager -e ".[test]" torch==2.13.0
	{ sed -n '/^#/!q;p' $(LOCK); $(BIN)/pip freeze --exclude-editable | grep -v -i -E '^(torch==|#)'; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	touch $(STAMP)

setup: $(STAMP) debs

# Debian packages, installed with one `apt-get update` for all that are missing:
# - openthesaurus-de-text: German synonyms (OpenThesaurus, LGPL) the answerer ranks sentences with.
# - trans-de-en: Ding's German-English dictionary (GPL), the German words of an English question.
#   Without either (no root, say) the assistant still runs, without synonyms or with English
#   questions ranked by the embedder's cosine alone (it logs a warning).
# - chromium (tests only): Playwright drives it; it never downloads a browser.
APT_INSTALL = apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq
DEBS_RUN = $$(echo $$(test -f $(THESAURUS) || echo openthesaurus-de-text) $$(test -f $(DICTIONARY) || echo trans-de-en))
DEBS_TEST = $$(echo $(DEBS_RUN) $$(command -v chromium >/dev/null 2>&1 || echo chromium))

debs:
	@missing="$(DEBS_RUN)"; [ -z "$$missing" ] || ($(APT_INSTALL) $$missing >/dev/null) \
		|| echo "warning: could not install $$missing; answers are ranked without them"

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

# the blind sets over the seed documents (docs/measurements.md, "Blind hold-out set"); compare with
# evals/baseline_*.json. The hold-out set, blind2 and blind3 were read and are spent as measures: they
# are the development set for answering over the seed documents. blind4-6 measure; never tune on them
eval-holdout: setup
	$(BIN)/assistant eval --questions evals/holdout_questions.jsonl --baseline evals/baseline_holdout.json --out eval-out/holdout

eval-blind2: setup
	$(BIN)/assistant eval --questions evals/blind2_questions.jsonl --baseline evals/baseline_blind2.json --out eval-out/blind2

eval-blind3: setup
	$(BIN)/assistant eval --questions evals/blind3_questions.jsonl --baseline evals/baseline_blind3.json --out eval-out/blind3

eval-blind4: setup
	$(BIN)/assistant eval --questions evals/blind4_questions.jsonl --baseline evals/baseline_blind4.json --out eval-out/blind4

# the three read blind sets as one development set for answering over the seed documents (180 questions)
eval-blinddev: setup
	mkdir -p eval-out
	cat evals/holdout_questions.jsonl evals/blind2_questions.jsonl evals/blind3_questions.jsonl > eval-out/blind-dev.jsonl
	$(BIN)/assistant eval --questions eval-out/blind-dev.jsonl --out eval-out/blinddev

eval-blind5: setup
	$(BIN)/assistant eval --questions evals/blind5_questions.jsonl --baseline evals/baseline_blind5.json --out eval-out/blind5

eval-blind6: setup
	$(BIN)/assistant eval --questions evals/blind6_questions.jsonl --baseline evals/baseline_blind6.json --out eval-out/blind6

eval-xquad: setup
	$(BIN)/assistant eval --squad ../shared/bench/xquad-de/xquad.de.json --holdout 0.2 --out eval-out/xquad

# the same questions asked in English (120) and typed with errors (1,190): docs/measurements.md
eval-english: setup
	$(BIN)/assistant eval --squad ../shared/bench/xquad-de/xquad.de.json --holdout 0.2 --questions evals/xquad_en_questions.tsv --out eval-out/xquad-en

eval-typos: setup
	$(BIN)/assistant eval --squad ../shared/bench/xquad-de/xquad.de.json --holdout 0.2 --questions evals/xquad_typo_questions.tsv --out eval-out/xquad-typos

# the first question of each paragraph worded unlike the text (240): docs/measurements.md, "Questions worded unlike the text"
eval-paraphrase: setup
	$(BIN)/assistant eval --squad ../shared/bench/xquad-de/xquad.de.json --holdout 0.2 --questions evals/xquad_paraphrase_questions.tsv --out eval-out/xquad-paraphrase

# the reader set's dev split (870 questions over 160 passages) asked through the assistant: the set
# answering changes are chosen on (evals/rescue.py); the measuring sets above only measure
eval-readerdev: setup
	$(BIN)/python -m training.devset --out eval-out/readerset-dev.json
	$(BIN)/assistant eval --squad eval-out/readerset-dev.json --holdout 0.2 --out eval-out/readerdev

# long press releases like the seed documents (training/press.py), never trained on, hold-out 0.2
eval-pressdev: setup
	$(BIN)/python -m training.devset --set press --out eval-out/press-dev.json
	$(BIN)/assistant eval --squad eval-out/press-dev.json --holdout 0.2 --out eval-out/pressdev

# the press dev passages asked in citizens' words (training/citizendev/): a dev set, never trained on
eval-citizendev: setup
	$(BIN)/python -m training.devset --set citizen --out eval-out/citizen-dev.json
	$(BIN)/assistant eval --squad eval-out/citizen-dev.json --holdout 0.2 --out eval-out/citizendev

clean:
	rm -rf $(VENV) data
