# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8866

.PHONY: install browser-deps run test bench bench-dash clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@# the distribution was called `calc` before it was `sti-subsidy-calc`: an old .venv drops it first
	@$(PY) -m pip uninstall --quiet --yes calc 2>/dev/null || true
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Debian's chromium and CJK fonts for the browser tests, when missing (.ci/run installs them in CI).
# Never `playwright install` (it downloads a browser build).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		echo "installing chromium and fonts-noto-cjk (apt-get)"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk; \
	fi

# The dashboards on http://$(HOST):$(PORT)/, started the one way they are started from an installed package too:
# `python -m calc serve` (calc/serve.py: Voila's entry point on notebooks/ with --Voila.config_file_paths=deploy,
# never `python -m voila`); it prints the landing page's URL.
run: install
	$(PY) -m calc serve --host $(HOST) --port $(PORT)

test: install browser-deps
	$(PY) -m pytest

# The benchmarks whose figures the README gives (minutes each on 2 cores). The engine beside numpy, pandas and
# OpenFisca is measured by the performance anchor outside the repository (README, Performance).
bench: install
	$(PY) benchmarks/bench_core.py
	$(PY) benchmarks/bench_budget.py
	$(PY) benchmarks/bench_load.py
	$(PY) benchmarks/bench_pipeline.py
	$(PY) benchmarks/bench_dask.py

bench-dash: install browser-deps
	$(PY) benchmarks/bench_dashboard.py
	$(PY) benchmarks/bench_render.py

clean:
	rm -rf $(VENV) out tests/artifacts
