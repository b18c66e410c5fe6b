"""mesh/logs.py (`make logs SERVICE=…`): one service's app and sidecar logs, merged by time,
then followed as they grow; other services' files and half-written lines are not printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mesh import ctl
from mesh.logs import MAX_LINE_BYTES, MAX_POLL_BYTES, LogFollower, last_lines, service_logs

pytestmark = pytest.mark.unit


def line(time: str, message: str) -> str:
    return json.dumps({"time": time, "message": message}) + "\n"


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    logs = tmp_path / "log"
    logs.mkdir()
    (logs / "nft-1.log").write_text(line("2026-12-07T10:00:01.000+00:00", "app 1, first"))
    (logs / "nft-1-sidecar.log").write_text(line("2026-12-07T10:00:00.500Z", "sidecar 1"))
    (logs / "nft-2.log").write_text(
        line("2026-12-07T10:00:00.100+00:00", "app 2") + '{"time": "2026-12-07T10:00:09'
    )
    for other in ("user-1.log", "nft-1.log.old", "nftx-1.log", "nft-a.log", "registry.log"):
        (logs / other).write_text(line("2026-12-07T09:00:00Z", "not nft's"))
    return logs


def test_only_the_services_instances_and_sidecars_are_read(log_dir: Path) -> None:
    assert [p.name for p in service_logs(log_dir, "nft")] == [
        "nft-1-sidecar.log",
        "nft-1.log",
        "nft-2.log",
    ]
    assert service_logs(log_dir / "missing", "nft") == []


def test_the_last_lines_come_merged_by_time_without_a_half_written_one(log_dir: Path) -> None:
    follower = LogFollower(log_dir, "nft")
    merged = last_lines(follower.offsets, 5)
    assert [(name, json.loads(text)["message"]) for name, text in merged] == [
        ("nft-2", "app 2"),
        ("nft-1-sidecar", "sidecar 1"),
        ("nft-1", "app 1, first"),
    ]
    assert last_lines(follower.offsets, 0) == []


def test_following_prints_what_is_appended_and_new_instances(log_dir: Path) -> None:
    follower = LogFollower(log_dir, "nft")
    assert follower.poll() == []
    with (log_dir / "nft-1.log").open("a") as log:
        log.write(line("2026-12-07T10:00:02Z", "app 1, second") + '{"half": ')
    with (log_dir / "nft-2.log").open("a") as log:
        log.write('"written"}\n')  # the end of the line that was being written
    (log_dir / "nft-3.log").write_text(line("2026-12-07T10:00:03Z", "app 3, added"))
    (log_dir / "user-1.log").write_text(line("2026-12-07T10:00:03Z", "not nft's"))
    assert follower.poll() == [
        ("nft-1", line("2026-12-07T10:00:02Z", "app 1, second").rstrip("\n")),
        ("nft-2", '{"time": "2026-12-07T10:00:09"written"}'),
        ("nft-3", line("2026-12-07T10:00:03Z", "app 3, added").rstrip("\n")),
    ]
    with (log_dir / "nft-1.log").open("a") as log:
        log.write('"done"}\n')
    assert follower.poll() == [("nft-1", '{"half": "done"}')]


def test_a_file_started_again_is_read_from_its_start(log_dir: Path) -> None:
    follower = LogFollower(log_dir, "nft")
    (log_dir / "nft-1.log").write_text("again\n")
    assert follower.poll() == [("nft-1", "again")]


def test_a_line_without_an_end_is_printed_in_bounded_pieces(log_dir: Path) -> None:
    follower = LogFollower(log_dir, "nft")
    endless = "x" * (MAX_LINE_BYTES + 10)
    with (log_dir / "nft-1-sidecar.log").open("a") as log:
        log.write(endless)
    assert follower.poll() == [("nft-1-sidecar", endless)]
    assert follower.poll() == []


def test_the_command_says_when_the_service_has_no_log(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no log of 'nft'"):
        ctl.main(["--workdir", str(tmp_path), "logs", "nft"])


def test_a_fast_growing_file_is_read_a_bounded_piece_per_poll(log_dir: Path) -> None:
    follower = LogFollower(log_dir, "nft")
    burst = [line(f"2026-12-07T10:01:{n % 60:02d}Z", "x" * 200) for n in range(12_000)]
    with (log_dir / "nft-1.log").open("a") as log:
        log.write("".join(burst))
    assert sum(map(len, burst)) > 2 * MAX_POLL_BYTES
    polls = []
    while found := follower.poll():
        polls.append(found)
    assert all(sum(len(text) for _, text in found) <= MAX_POLL_BYTES for found in polls)
    assert len(polls) >= 3
    assert [text + "\n" for found in polls for _, text in found] == burst
