# The two commands a new machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test drill install lint

demo: $(VENV)/.installed
	$(BIN)/crisiswatch demo --no-browser

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q

drill: $(VENV)/.installed
	$(BIN)/crisiswatch drill --scenario outage --json

lint: $(VENV)/.installed
	$(BIN)/ruff check .

install: $(VENV)/.installed

# torch first, pinned: 2.13.0 is the CPU build on this machine's disk; letting another
# package pull torch would fetch gigabytes of CUDA wheels instead.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@
