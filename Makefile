# Two commands on a fresh machine: `make demo` and `make test`.  Everything installs from the
# pinned requirements into .venv, the same pins the Dockerfile and CI use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
STAMP := $(VENV)/.installed-$(shell cat requirements/runtime.txt requirements/dev.txt pyproject.toml | cksum | cut -d' ' -f1)
DEMO_OUT ?= demo-output

.PHONY: venv demo test lint typecheck unit bench clean

$(STAMP): requirements/runtime.txt requirements/dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements/runtime.txt -r requirements/dev.txt
	LOG_GARDENER_PURE=1 $(PIP) install --quiet --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO_OUT)
	$(BIN)/log-gardener run --source file:examples/cloud-run-backend-hour.jsonl \
	  --config examples/log-gardener.yml --worklog-dir $(DEMO_OUT)/worklog \
	  --report-json $(DEMO_OUT)/report.json --assignments $(DEMO_OUT)/assignments.jsonl

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports --no-cache  # the import layers in .importlinter

typecheck: $(STAMP)
	$(BIN)/mypy src

unit: $(STAMP)
	bash scripts/in-loopback-namespace.sh $(BIN)/python -m pytest

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python benchmarks/speed.py
	$(BIN)/python benchmarks/quality.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
