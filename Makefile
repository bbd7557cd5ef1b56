# Two commands on a fresh machine with Python 3.11 and pip:
#   make report [INPUTS=folder]   run the pipeline and publish reports/index.html
#   make test                     run the test suite
# Each creates the virtual environment in .venv on first use (pinned by requirements.lock).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
INPUTS ?= data/raw
STAMP  := $(VENV)/.installed

.PHONY: report test bench bench-kill lab sample golden lock clean help

help:
	@echo "make report [INPUTS=../shared/data/real] [ORG=QNX] [PERIOD=2026-01]"
	@echo "                                          run the pipeline, publish reports/index.html"
	@echo "make test                                 run the tests"
	@echo "make bench                                benchmarks (bench/): RTT, referral gateway, scorecard and packs"
	@echo "make lab                                  open JupyterLab on the notebooks"
	@echo "make bench-kill [TRIALS=20]              kill runs at random moments, check reports stay whole (~30 min)"
	@echo "make sample                               regenerate the synthetic samples in data/raw/"
	@echo "make golden                               record the samples' edition for the back test (tests/golden/)"

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 needed, found {sys.version.split()[0]}"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip==26.3
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

report: $(STAMP)
	$(PY) -m helpers.pipeline run --inputs $(INPUTS) $(if $(ORG),--organisation $(ORG)) $(if $(PERIOD),--period $(PERIOD))

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) bench/bench_pipeline.py
	$(PY) bench/bench_referrals.py
	$(PY) bench/bench_scorecard.py

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

lock: $(STAMP)
	{ head -2 requirements.lock; $(PY) -m pip freeze --exclude-editable | sort -f; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf build data/processed/*.parquet data/processed/*.json reports/editions reports/latest reports/index.html dvc.lock
