"""The supervisor's decisions (mesh/restarts.py) on times the test hands it: when a process is
killed for liveness, how long each restart waits, when the back-off starts over, and what
status shows. No process, no real time."""

from __future__ import annotations

import pytest

from mesh.restarts import Lifecycle, LivenessPolicy, RestartPolicy, exit_reason

pytestmark = pytest.mark.unit

LIVENESS = LivenessPolicy(period=1.0, timeout=1.0, failure_threshold=3, start_timeout=60.0)
RESTART = RestartPolicy(first_delay=0.5, max_delay=30.0, reset_after=60.0, crash_loop_after=3)


def live_at(now: float) -> Lifecycle:
    """A process started at 0 that answered its first probe at `now`."""
    lifecycle = Lifecycle(LIVENESS, RESTART, started_at=0.0)
    assert lifecycle.probed(True, now) is None
    return lifecycle


def crash(lifecycle: Lifecycle, now: float) -> float:
    """It exits at `now` and is restarted when due; the back-off it waited."""
    delay = lifecycle.failed("exited with code 1", now)
    assert not lifecycle.due(now + delay - 0.01)
    assert lifecycle.due(now + delay)
    lifecycle.restarted(now + delay)
    return delay


def test_back_off_doubles_from_half_a_second_to_thirty() -> None:
    delays = [RESTART.delay(n) for n in range(1, 10)]
    assert delays == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]


def test_a_crash_loop_waits_longer_each_time_and_is_shown() -> None:
    lifecycle, now, delays = live_at(1.0), 2.0, []
    for _ in range(7):  # exits 0.1 s after each start, never answering
        delays.append(crash(lifecycle, now))
        now = lifecycle.started_at + 0.1
    assert delays == [0.5, 1, 2, 4, 8, 16, 30]
    assert lifecycle.restarts == 7
    lifecycle.failed("exited with code 1", now)
    assert lifecycle.crash_looping
    status = lifecycle.status(now + 10)
    assert status == {
        "state": "crash-loop back-off",
        "restarts": 7,
        "last_reason": "exited with code 1",
        "crash_looping": True,
        "restart_in": 20.0,
    }


def test_two_failures_are_not_yet_a_crash_loop() -> None:
    lifecycle = live_at(1.0)
    crash(lifecycle, 2.0)
    lifecycle.failed("killed by SIGKILL", 3.0)
    assert not lifecycle.crash_looping
    assert lifecycle.status(3.0)["state"] == "back-off"


def test_a_crash_looping_process_that_comes_up_is_running_again() -> None:
    lifecycle, now = live_at(1.0), 2.0
    for _ in range(3):
        crash(lifecycle, now)
        now = lifecycle.started_at + 0.1
    assert lifecycle.crash_looping and lifecycle.state() == "starting"
    lifecycle.probed(True, now)
    assert not lifecycle.crash_looping and lifecycle.state() == "running"


def test_back_off_starts_over_once_live_for_a_minute() -> None:
    lifecycle = live_at(1.0)
    assert crash(lifecycle, 2.0) == 0.5
    assert crash(lifecycle, 5.0) == 1  # not live since: the second failure in a row
    lifecycle.probed(True, 10.0)
    lifecycle.probed(True, 69.0)  # live 59 s: not yet recovered
    assert crash(lifecycle, 69.5) == 2
    lifecycle.probed(True, 80.0)
    assert crash(lifecycle, 140.0) == 0.5  # live 60 s: a new failure, not the loop's fourth


def test_three_unanswered_probes_in_a_row_kill_it() -> None:
    lifecycle = live_at(1.0)
    assert lifecycle.probed(False, 2.0) is None
    assert lifecycle.probed(False, 3.0) is None
    reason = lifecycle.probed(False, 4.0)
    assert reason == "liveness: no answer to 3 probes in a row (1 s timeout)"
    assert lifecycle.failed(reason, 4.0) == 0.5
    assert lifecycle.status(4.0)["last_reason"] == reason


def test_an_answer_in_between_starts_the_count_again() -> None:
    lifecycle = live_at(1.0)
    for now in (2.0, 3.0):
        assert lifecycle.probed(False, now) is None
    assert lifecycle.probed(True, 4.0) is None  # any answer (a 503 too) is life
    for now in (5.0, 6.0):
        assert lifecycle.probed(False, now) is None
    assert lifecycle.probed(False, 7.0) is not None


def test_misses_while_starting_do_not_count_until_the_start_timeout() -> None:
    lifecycle = Lifecycle(LIVENESS, RESTART, started_at=100.0)
    for now in range(101, 160):
        assert lifecycle.probed(False, float(now)) is None
    assert lifecycle.state() == "starting"
    assert lifecycle.probed(False, 160.0) == "not live 60 s after its start"


def test_a_restart_starts_a_new_life() -> None:
    lifecycle = live_at(1.0)
    for now in (2.0, 3.0):
        lifecycle.probed(False, now)
    lifecycle.failed("liveness", 4.0)
    assert lifecycle.state() == "back-off" and lifecycle.status(4.0)["restart_in"] == 0.5
    lifecycle.restarted(4.5)
    assert lifecycle.state() == "starting" and lifecycle.status(4.5)["restart_in"] is None
    # The misses before the restart are forgotten; the new process is not live yet.
    assert lifecycle.probed(False, 5.0) is None
    assert lifecycle.probed(True, 6.0) is None
    assert lifecycle.state() == "running" and lifecycle.restarts == 1


@pytest.mark.parametrize(
    ("returncode", "reason"),
    [
        (-9, "killed by SIGKILL"),
        (-15, "killed by SIGTERM"),
        (1, "exited with code 1"),
        (0, "exited with code 0"),
        (-99, "killed by signal 99"),
    ],
)
def test_exit_reasons(returncode: int, reason: str) -> None:
    assert exit_reason(returncode) == reason
