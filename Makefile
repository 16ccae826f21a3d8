# ChargeFix: `make run` starts everything embedded; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
INTEROP := tests/interop/node_modules/.installed

.PHONY: run test lint format bench clean-data

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# torch first, pinned, so the CPU wheel on this machine's disk is taken (a bare torch pulls CUDA).
$(STAMP_RUN): pyproject.toml | $(PY)
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(PY)
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[dev]'
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)
	$(VENV)/bin/chargefix run

# A charger written with npm ocpp-rpc checks our answers against the OCPP schemas (skipped without node).
$(INTEROP): tests/interop/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd tests/interop && npm ci --no-audit --no-fund --silent && touch node_modules/.installed; \
	else echo "npm not found: the ocpp-rpc interop test will be skipped"; fi

test: $(STAMP_DEV) $(INTEROP)
	$(PY) -m pytest -q

lint: $(STAMP_DEV)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

format: $(STAMP_DEV)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP_DEV)
	$(PY) bench/ocpp_load.py

clean-data:
	rm -rf data
