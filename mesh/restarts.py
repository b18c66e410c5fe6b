"""When the supervisor (mesh/supervisor.py) kills and restarts a process, and what it shows
about it: a kubelet's rules as pure decisions on the times it is handed, so they are tested
without real time.

- Liveness, not readiness: a process is live while its probe gets ANY answer (a 503 says
  "not ready", e.g. its database is down, and restarting it would not help). Only
  `failure_threshold` probes in a row with no answer at all (a hung or stopped process) kill
  it. Until its first answer after a (re)start it is starting, and misses do not count;
  still starting after `start_timeout`, it is killed too.
- Back-off: the n-th failure in a row waits `first_delay * 2**(n-1)`, at most `max_delay`,
  before the restart, so a process that crashes at start does not spin; from
  `crash_loop_after` failures in a row it is shown as crash-looping. Live for `reset_after`
  seconds, it has recovered: the count starts again.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import Any

# A SIGSTOPped app is killed 3-4 s after it stopped answering and is restarted 0.5 s later;
# a running app answers in milliseconds (its event loop, no database), so 3 s of silence is
# not load. Kubernetes' default is 3 probes 10 s apart: our processes are on one host.
PROBE_PERIOD_SECONDS = 1.0
PROBE_TIMEOUT_SECONDS = 1.0
PROBE_FAILURE_THRESHOLD = 3
# A cold app on a busy 2-core machine can take half a minute to serve (READY_TIMEOUT_SECONDS).
START_TIMEOUT_SECONDS = 60.0
# kubelet: 10 s doubling to 5 min; our processes start in seconds, and come back sooner.
FIRST_DELAY_SECONDS = 0.5
MAX_DELAY_SECONDS = 30.0
RESET_AFTER_SECONDS = 60.0
CRASH_LOOP_AFTER = 3


@dataclass(frozen=True)
class LivenessPolicy:
    period: float = PROBE_PERIOD_SECONDS
    timeout: float = PROBE_TIMEOUT_SECONDS
    failure_threshold: int = PROBE_FAILURE_THRESHOLD
    start_timeout: float = START_TIMEOUT_SECONDS


@dataclass(frozen=True)
class RestartPolicy:
    first_delay: float = FIRST_DELAY_SECONDS
    max_delay: float = MAX_DELAY_SECONDS
    reset_after: float = RESET_AFTER_SECONDS
    crash_loop_after: int = CRASH_LOOP_AFTER

    def delay(self, failures: int) -> float:
        """The wait before the restart that follows the `failures`-th failure in a row."""
        return min(self.first_delay * 2 ** (failures - 1), self.max_delay)


def exit_reason(returncode: int) -> str:
    """How a process ended, from its return code (negative: the signal that killed it)."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with code {returncode}"


@dataclass
class Lifecycle:
    """One supervised process's life: its probes, failures and restarts. Times are the
    supervisor's monotonic clock; every decision is taken here, every action there."""

    liveness: LivenessPolicy
    restart: RestartPolicy
    started_at: float
    restarts: int = 0
    last_reason: str = ""  # why it was last restarted (or is about to be)
    failures: int = 0  # in a row: exits and kills since it last stayed live `reset_after`
    live_since: float | None = None  # its first answer since this (re)start
    missed_probes: int = 0  # in a row, once live
    restart_at: float | None = None  # while down: when to start it again

    def probed(self, answered: bool, now: float) -> str | None:
        """One liveness probe's outcome: a reason to kill the process now, or None."""
        if answered:
            if self.live_since is None:
                self.live_since = now
            self.missed_probes = 0
            if now - self.live_since >= self.restart.reset_after:
                self.failures = 0  # recovered: a later crash is not part of a crash loop
            return None
        if self.live_since is None:
            if now - self.started_at >= self.liveness.start_timeout:
                return f"not live {self.liveness.start_timeout:g} s after its start"
            return None
        self.missed_probes += 1
        if self.missed_probes >= self.liveness.failure_threshold:
            return (
                f"liveness: no answer to {self.missed_probes} probes in a row "
                f"({self.liveness.timeout:g} s timeout)"
            )
        return None

    def failed(self, reason: str, now: float) -> float:
        """It is down (exited, could not start, or was killed for `reason`): the back-off
        before its restart, which is then due at `restart_at`."""
        if self.live_since is not None and now - self.live_since >= self.restart.reset_after:
            self.failures = 0
        self.failures += 1
        self.last_reason = reason
        delay = self.restart.delay(self.failures)
        self.restart_at = now + delay
        return delay

    def due(self, now: float) -> bool:
        return self.restart_at is not None and now >= self.restart_at

    def restarted(self, now: float) -> None:
        self.restarts += 1
        self.started_at = now
        self.live_since, self.missed_probes, self.restart_at = None, 0, None

    @property
    def crash_looping(self) -> bool:
        """Failing again and again, and not live now (back-off, or starting once more)."""
        return self.failures >= self.restart.crash_loop_after and self.live_since is None

    def state(self) -> str:
        if self.restart_at is not None:
            return "crash-loop back-off" if self.crash_looping else "back-off"
        return "running" if self.live_since is not None else "starting"

    def status(self, now: float) -> dict[str, Any]:
        return {
            "state": self.state(),
            "restarts": self.restarts,
            "last_reason": self.last_reason or None,
            "crash_looping": self.crash_looping,
            "restart_in": None if self.restart_at is None else round(self.restart_at - now, 1),
        }
