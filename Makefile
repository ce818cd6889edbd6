# The two commands a new machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test drill install lint weights

demo: $(VENV)/.installed
	$(BIN)/crisiswatch demo --no-browser

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q

drill: $(VENV)/.installed
	$(BIN)/crisiswatch drill --scenario outage --json

lint: $(VENV)/.installed
	$(BIN)/ruff check .

install: $(VENV)/.installed

# Rebuild every committed head and adapter from ../shared/data (about an hour on 2 cores), in
# dependency order: the frozen baseline head starts the fine-tuning, whose encoder the rumour
# and crisis-type heads then read. See sentiment/weights/MODEL_CARD.md.
weights: $(VENV)/.installed
	$(BIN)/python -m training.train_head
	$(BIN)/python -m training.train_adapter
	$(BIN)/python -m training.train_lang_heads
	$(BIN)/python -m training.train_rumour
	$(BIN)/python -m training.train_crisis_type

# torch first, pinned: 2.13.0 is the CPU build on this machine's disk; letting another
# package pull torch would fetch gigabytes of CUDA wheels instead.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@
