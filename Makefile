# Two commands: `make demo` and `make test`. Only python3 (with venv and pip) is assumed;
# uv is installed into .tools/ when the machine does not have it.
SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .tools
SYSTEM_UV := $(shell command -v uv 2>/dev/null)
UV := $(if $(SYSTEM_UV),$(SYSTEM_UV),$(TOOLS)/bin/uv)
HOST ?= 127.0.0.1
PORT ?= 8000

# Use the machine's Python; never download an interpreter.
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)

.PHONY: demo test sync lint format serve clean

$(TOOLS)/bin/uv:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target $(TOOLS) uv

sync: $(if $(SYSTEM_UV),,$(TOOLS)/bin/uv)
	$(UV) sync --frozen

lint: sync
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen lint-imports

format: sync
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

test: lint
	$(UV) run --frozen python scripts/run_tests.py

demo: sync
	bash scripts/system-packages.sh
	mkdir -p var
	$(UV) run --frozen shuangsuiji manage migrate --no-input
	$(UV) run --frozen python -m shuangsuiji_demo
	@# The background worker (it validates uploaded registers) runs beside the server and is
	@# stopped with it, however the server ends (Ctrl+C, an error).
	$(UV) run --frozen shuangsuiji worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(UV) run --frozen shuangsuiji serve --host $(HOST) --port $(PORT)

serve: sync
	$(UV) run --frozen shuangsuiji serve --host $(HOST) --port $(PORT)

clean:
	rm -rf var .pytest_cache test-results
