"""Shared fixtures: an isolated APPLIANCE_HOME per test, and tiny models built from a config."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import appliance  # noqa: F401  (sets the offline switches before anything else imports)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keys and vaults go to a fresh folder per test; the model cache stays shared (it is read-only input)."""
    home = tmp_path_factory.mktemp("appliance-home")
    monkeypatch.setenv("APPLIANCE_HOME", str(home))
    monkeypatch.setenv("APPLIANCE_MODEL_CACHE", os.environ.get("APPLIANCE_MODEL_CACHE", str(Path.home() / ".cache" / "appliance" / "models")))
    return home


@pytest.fixture(scope="session")
def smollm2_dir() -> Path:
    """The provisioned SmolLM2 folder (make test provisions it); its tokenizer also serves the tiny models.

    APPLIANCE_TEST_SMOLLM2_DIR names another folder with SmolLM2's config and tokenizer, for a machine
    where the model package cannot be installed (scripts/gpu_check.sh on a GPU box): the tiny-model
    tests then run there; tests of SmolLM2's own answers do not belong on such a run.
    """
    from appliance.models import resolve_base_model

    if os.environ.get("APPLIANCE_TEST_SMOLLM2_DIR"):
        return Path(os.environ["APPLIANCE_TEST_SMOLLM2_DIR"])
    return resolve_base_model("smollm2-135m-instruct").path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, smollm2_dir: Path) -> Path:
    """A randomly initialised 2-layer Llama with SmolLM2's tokenizer and chat template, saved as safetensors."""
    from appliance.train.lm import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"), tokenizer_dir=smollm2_dir, seed=0)


@pytest.fixture(scope="session")
def tiny_llama():
    """Builds a randomly initialised tiny Llama in memory: tiny_llama(tokenizer, seed=0, **LlamaConfig overrides).

    The shape is tiny_model_dir's (2 layers, width 64, tied embeddings); vocabulary and special
    tokens come from `tokenizer`. A test that needs other weights (a larger initializer_range so
    the model can memorise, or emits varied tokens) names only what differs.
    """
    from appliance.train.lm import tiny_llama

    return tiny_llama


@pytest.fixture(scope="module")
def one_thread():
    """Tiny matrices gain nothing from a second thread, and on a shared CPU lose up to 10x waiting for it.

    Use with `pytestmark = pytest.mark.usefixtures("one_thread")` in a training test module.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
