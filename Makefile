# Two commands do all set-up on a fresh machine: `make book` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
READY := $(VENV)/.ready

.PHONY: book test check system-deps clean

book: $(READY) system-deps
	$(PY) build.py

test: $(READY) system-deps
	$(PY) -m pytest

check: $(READY)
	$(PY) build.py check

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
