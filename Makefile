# Two commands do all set-up on a fresh machine: `make book` and `make test`.
# `make setup` only sets up (then `python3 build.py ...` works); `make book BOOK=../mybook`
# builds another book folder.
PYTHON ?= python3
BOOK ?= .
VENV := .venv
PY := $(VENV)/bin/python
READY := $(VENV)/.ready

.PHONY: setup book test check system-deps clean

setup: $(READY) system-deps

book: $(READY) system-deps
	$(PY) build.py --book "$(BOOK)"

test: $(READY) system-deps
	$(PY) -m pytest

check: $(READY)
	$(PY) build.py check --book "$(BOOK)"

# The environment is rebuilt whenever requirements.txt changes.
$(READY): requirements.txt
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(READY)

system-deps:
	@tools/system-deps.sh

clean:
	rm -rf dist .cache $(VENV)
