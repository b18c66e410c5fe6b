"""The node agent's and the launcher's command lines: the certificate lifetime both accept, and
the agent's `ready` file (its container's healthcheck) only once this run has provisioned."""

from __future__ import annotations

from pathlib import Path

import pytest

from mesh import launcher
from mesh.identity.__main__ import READY_FILE
from mesh.identity.__main__ import main as agent_main
from mesh.identity.ca import ROOT_FILE

pytestmark = pytest.mark.unit


def not_a_ca(directory: Path) -> Path:
    """A CA directory whose certificate is not one: the agent fails as it loads it."""
    directory.mkdir(mode=0o700)
    (directory / ROOT_FILE).write_text("not a certificate")
    return directory


@pytest.mark.parametrize("seconds", ["0", "9.9", "-3600", "nan", "inf", "2592001"])
def test_both_commands_refuse_a_lifetime_outside_10_seconds_to_30_days(
    seconds: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Were the lifetime taken, this CA would fail the agent at once rather than let it run on.
    agent_command = ["--ca", str(not_a_ca(tmp_path / "ca")), "--root", str(tmp_path / "id")]
    for main, argv in (
        (agent_main, [*agent_command, "--ttl-seconds", seconds]),
        (launcher.main, ["--workdir", str(tmp_path), "--certificate-ttl-seconds", seconds]),
    ):
        with pytest.raises(SystemExit) as refused:
            main(argv)
        assert refused.value.code == 2
        assert "must be between 10 s and 30 days" in capsys.readouterr().err


def test_a_ready_file_left_by_the_last_run_is_gone_before_provisioning(tmp_path: Path) -> None:
    """Provisioning fails here (a CA certificate that is not one): nothing was provisioned,
    so nothing may say ready."""
    root, ca = tmp_path / "identity", not_a_ca(tmp_path / "ca")
    root.mkdir()
    (root / READY_FILE).write_text("ok\n")
    with pytest.raises(ValueError):
        agent_main(["--ca", str(ca), "--root", str(root), "--workload", "nft-1=nft@nft-1"])
    assert not (root / READY_FILE).exists()
