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

# The dashboards on http://$(HOST):$(PORT)/ (the `voila` console script, never `python -m voila`).
run: install
	@echo ""
	@echo "  Dashboards: http://$(HOST):$(PORT)/voila/render/index.ipynb"
	@echo "  (Voila's file tree: http://$(HOST):$(PORT)/ ; Ctrl-C stops)"
	@echo ""
	DASH_PORT=$(PORT) $(VENV)/bin/voila notebooks --Voila.config_file_paths=deploy --Voila.ip=$(HOST) --Voila.port=$(PORT)

test: install browser-deps
	$(PY) -m pytest

bench: install
	$(PY) benchmarks/bench_core.py
	$(PY) benchmarks/bench_budget.py

bench-dash: install browser-deps
	$(PY) benchmarks/bench_dashboard.py
	$(PY) benchmarks/bench_render.py

clean:
	rm -rf $(VENV) out tests/artifacts
