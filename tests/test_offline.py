"""Air-gapped by proof: the socket guard, and the demo pipeline inside a network namespace with no interfaces."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from appliance import offline


def test_guard_refuses_outbound_and_counts_it_but_allows_loopback() -> None:
    offline.install_network_guard()
    before = offline.outbound_attempts()
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError, match="air-gapped"):
        sock.connect(("192.0.2.10", 443))  # TEST-NET-1: never routed, and refused before any packet leaves
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError, match="air-gapped"):
        sock.connect(("example.com", 80))  # a name would need DNS: refused too
    assert offline.outbound_attempts() == before + 2
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket() as client:
            client.connect(server.getsockname())  # loopback stays allowed (serve, local tools)
    assert offline.outbound_attempts() == before + 2


def test_offline_switches_are_forced() -> None:
    for key, value in offline.OFFLINE_ENVIRONMENT.items():
        assert os.environ[key] == value


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _can_unshare(), reason="unshare -n needs root or user namespaces; CI runs as root")
def test_demo_pipeline_runs_with_no_network_interfaces(tmp_path: Path, tiny_model_dir: Path) -> None:
    env = {**os.environ, "APPLIANCE_HOME": str(tmp_path / "home"), "PYTHONUNBUFFERED": "1"}
    run_dir = tmp_path / "run"
    command = ["unshare", "-n", sys.executable, "-m", "appliance.cli", "demo", "--out", str(run_dir), "--base-model", str(tiny_model_dir), "--max-steps", "2"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "report: done" in result.stdout
    assert '"outbound_connections_attempted": 0' in (run_dir / "report" / "report.json").read_text()
