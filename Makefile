# The two commands a new machine needs: `make demo` and `make test`.
# `make test` is the full suite CI runs (.ci/run); `make test-fast` the unit tests only (no
# real embedded model, no browser, SQLite only: the PostgreSQL variants run in `make test`),
# for the edit-test loop: 1,317 passed, 317 skipped in 7 min 16 s wall on the 2-core Xeon at load 12.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test test-fast drill install lint weights screenshots

demo: $(VENV)/.installed
	$(BIN)/crisiswatch demo --no-browser

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q

test-fast: $(VENV)/.installed
	env -u CRISISWATCH_TEST_POSTGRES_URL -u CRISISWATCH_REQUIRE_POSTGRES -u CRISISWATCH_REQUIRE_BROWSER \
		$(BIN)/python -m pytest -q -m "not slow and not browser"

drill: $(VENV)/.installed
	$(BIN)/crisiswatch drill --scenario outage --json

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports

install: $(VENV)/.installed

# The README's screenshots (docs/img/), taken from the real demo in headless Chromium.
screenshots: $(VENV)/.installed
	$(BIN)/python docs/screenshots.py

# Rebuild every committed head and adapter from ../shared/data (about two hours on 2 cores:
# the fine-tuning alone took 75 minutes, sentiment/weights/MODEL_CARD.md), in
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
# pip's own output (its warnings about this machine's index settings, setuptools' notes on
# every editable install) goes to $(VENV)/install.log, shown only if a step fails.
$(VENV)/.installed: pyproject.toml
	@echo "installing into $(VENV) (torch first; pip's output in $(VENV)/install.log) ..."
	$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip >$(VENV)/install.log 2>&1 \
		|| (cat $(VENV)/install.log; exit 1)
	@$(BIN)/python -m pip install -q torch==2.13.0 >>$(VENV)/install.log 2>&1 \
		|| (cat $(VENV)/install.log; exit 1)
	@PYTHONWARNINGS=ignore $(BIN)/python -m pip install -q -e ".[test]" >>$(VENV)/install.log 2>&1 \
		|| (cat $(VENV)/install.log; exit 1)
	@echo "installed."
	touch $@
