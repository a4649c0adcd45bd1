# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python

.PHONY: install run test bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) -m calc entitlements data/samples/enterprises.csv --output out/entitlements.csv
	$(PY) -m calc consortium data/samples/consortia.csv --jurisdiction all --output out/consortium_criteria.csv --summary out/consortium_summary.csv

test: install
	$(PY) -m pytest

bench: install
	$(PY) benchmarks/bench_core.py
	$(PY) benchmarks/bench_budget.py

clean:
	rm -rf $(VENV) out
