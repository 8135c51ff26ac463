# Doorstep Coach. `make run` to try it, `make test` before you push, `make bench` for the figures.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Test processes (pytest-xdist): one per core and one more, since the end-to-end tests spend
# much of their time waiting on other processes; `make test WORKERS=0` runs them in one.
WORKERS ?= $(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 1)')

.PHONY: install run chat test lint bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Doorstep Coach needs Python 3.11 or newer: set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## Run the bot: on Telegram if TELEGRAM_BOT_TOKEN is set, else the terminal chat.
run: $(STAMP)
	$(BIN)/coachbot run --chat-if-no-token

chat: $(STAMP)
	$(BIN)/coachbot chat

lint: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/coachbot content check
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist loadfile

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
