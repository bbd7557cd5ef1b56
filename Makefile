# Two commands on a fresh machine with Python 3.11, 3.12 or 3.13 and pip:
#   make report [INPUTS=folder]   run the pipeline and publish reports/index.html
#   make test                     run the test suite (finds Chromium first, or installs it)
# Either takes PYTHON=python3.12 (say) to choose the interpreter. Each creates its virtual
# environment on first use, pinned by requirements/py<version>.lock.

SUPPORTED := 3.11 3.12 3.13
# The default interpreter is the first of these that runs and is a supported version. Each is run,
# not just looked up: pyenv puts a shim on PATH for every installed version, selected or not.
DEFAULT_PYTHON := $(shell for p in $(foreach v,$(SUPPORTED),python$(v)) python3; do \
  $$p -c 'import sys; sys.exit("%d.%d" % sys.version_info[:2] not in "$(SUPPORTED)".split())' 2>/dev/null \
  && { echo $$p; break; }; done)
PYTHON ?= $(DEFAULT_PYTHON)
version_of = $(shell $(1) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
PYVER  := $(call version_of,$(PYTHON))
# .venv belongs to the default interpreter's version (the README's .venv/bin/python); another
# version gets .venv-<version>, so switching with PYTHON= never mixes or rebuilds environments.
VENV   ?= $(if $(and $(PYVER),$(filter $(PYVER),$(call version_of,$(DEFAULT_PYTHON)))),.venv,.venv-$(PYVER))
PY     := $(VENV)/bin/python
LOCK   := requirements/py$(or $(PYVER),-none).lock
# The stamp names the version, so a venv made by another Python is caught below, never reused.
STAMP  := $(VENV)/.installed-$(PYVER)
PIP_VERSION := 26.3
INPUTS ?= data/raw
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: report national test test-full venv browser bench bench-kill lab sample golden lock clean help

help:
	@echo "make report [INPUTS=../shared/data/real] [ORG=QNX] [PERIOD=2026-01]"
	@echo "                                          run the pipeline, publish reports/index.html"
	@echo "make national [INPUTS=..] [SCHEDULER=..]  every ICB's edition and every open practice's pack (Dask)"
	@echo "make test                                 run the tests (installs Chromium if it can and must)"
	@echo "make test-full                            the slowest end-to-end runs, on the real files (CI runs both)"
	@echo "   PYTHON=python3.12 (say) chooses the interpreter; now $(or $(PYTHON),none found) $(PYVER), in $(VENV)/"
	@echo "make bench                                benchmarks (bench/): RTT, referral gateway, scorecard and packs"
	@echo "make lab                                  open JupyterLab on the notebooks"
	@echo "make bench-kill [TRIALS=20]              kill runs at random moments, check reports stay whole (~30 min)"
	@echo "make sample                               regenerate the synthetic samples in data/raw/"
	@echo "make golden                               record the samples' edition for the back test (tests/golden/)"
	@echo "make lock                                 re-pin requirements/py3.*.lock after changing pyproject.toml"

# Reached only when the chosen interpreter has no lock: it is missing or not 3.11-3.13.
requirements/py%.lock:
	@echo "make: $(if $(PYVER),Python $(PYVER) ($(PYTHON)) is not supported,$(or $(PYTHON),no python3.11$(,) python3.12$(,) python3.13 or python3) does not run or is not Python 3.11-3.13)." >&2
	@echo "      Install Python 3.11, 3.12 or 3.13 and name it, e.g. make $(or $(MAKECMDGOALS),report) PYTHON=python3.12" >&2
	@exit 1

, := ,

$(STAMP): $(LOCK) pyproject.toml
	@if [ -e $(VENV) ] && [ "$$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" != $(PYVER) ]; then \
	  echo "make: $(VENV) was not made by Python $(PYVER) ($(PYTHON)); remove it (rm -rf $(VENV)) and run make again" >&2; \
	  exit 1; fi
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip==$(PIP_VERSION)
	$(PIP) -r $(LOCK)
	$(PIP) --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

report: $(STAMP)
	$(PY) -m helpers.pipeline run --inputs $(INPUTS) $(if $(ORG),--organisation $(ORG)) $(if $(PERIOD),--period $(PERIOD))

# Every ICB's edition and every open practice's pack, on Dask: a LocalCluster here, or
# SCHEDULER=tcp://host:8786 for a cluster whose workers see this folder at the same path.
national: $(STAMP)
	$(PY) -m helpers.pipeline national --inputs $(INPUTS) $(if $(SCHEDULER),--scheduler $(SCHEDULER))

# Chromium is found (or installed) before the environment, so a machine that lacks it and cannot
# install it stops in seconds, not after the pip install and the first half of the suite.
# The linter first: it takes seconds, and the style it keeps is part of what the tests check.
# The slowest end-to-end runs (the real files' editions, the national run, the runner against
# dvc repro: marked "full" in tests/conftest.py) are their own tier, make test-full.
test: $(LOCK) browser $(STAMP)
	$(PY) -m ruff check --quiet .
	$(PY) -m pytest -m "not full"

test-full: $(LOCK) browser $(STAMP)
	$(PY) -m pytest -m full

browser: $(LOCK)
	@$(PYTHON) tests/support/chromium.py --install

bench: $(STAMP)
	$(PY) bench/bench_pipeline.py
	$(PY) bench/bench_referrals.py
	$(PY) bench/bench_scorecard.py
	$(PY) bench/bench_national.py

# Not part of `make bench`: about 90 s a trial (bench/bench_kill.py).
TRIALS ?= 20
bench-kill: $(STAMP)
	$(PY) bench/bench_kill.py --trials $(TRIALS)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

# The back test's reference: the edition the samples give, in tests/golden/ (review its diff).
golden: $(STAMP)
	$(PY) tests/support/golden.py build

sample: $(STAMP)
	$(PY) -m helpers.synthetic --out data/raw

# Every supported version's lock, each resolved by its own interpreter (they can differ where a
# package has no release for one of them). LOCK_PYTHONS=python3.12 re-pins one.
LOCK_PYTHONS ?= $(foreach v,$(SUPPORTED),python$(v))
lock:
	@for p in $(LOCK_PYTHONS); do \
	  $$p -c '' 2>/dev/null || { echo "make lock: $$p does not run; each lock is made by its own Python" >&2; exit 1; }; \
	  $$p requirements/lock.py --pip $(PIP_VERSION) || exit 1; done

clean:
	rm -rf build data/processed/*.parquet data/processed/*.json reports/editions reports/latest reports/index.html dvc.lock
