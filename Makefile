# Two commands do all set-up on a fresh machine: `make book` and `make test`.
# `make setup` only sets up (then `python3 build.py ...` and `.venv/bin/bookbuild ...` work);
# `make book BOOK=../mybook` builds another book folder.
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

# The environment is rebuilt whenever the pinned versions or the package's description change:
# this repository installed in it as an editable package, with the test tools, at exactly
# the versions of constraints.txt.
$(READY): constraints.txt pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	touch $(READY)

system-deps:
	@tools/system-deps.sh

clean:
	rm -rf dist build .cache $(VENV) *.egg-info .tools
