# The two commands of a fresh set-up: `make serve` and `make test`.
# Both create .venv with Python 3.11 and install the project into it.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/hkkg: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON) (set PYTHON=...)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/hkkg

.PHONY: install serve build test lint
install: $(BIN)/hkkg

serve: install
	$(BIN)/hkkg serve

build: install
	$(BIN)/hkkg build

lint: install
	$(BIN)/ruff check graph api loaders tests bench
	$(BIN)/mypy

test: install lint
	$(BIN)/pytest
