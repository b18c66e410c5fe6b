"""Counting an attack's cases: every outcome per attack, and each case that got through (a
bypass: an outcome not among those allowed). Tests print the counts and expect no bypass
(`assert_no_bypass`). The outcomes the attack files share: a refusal at the handshake, and a
refusal that is not a clean problem (`problem_outcome`)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

PROBLEM = "application/problem+json"
# What a connection the server ended before any HTTP answer (a TLS handshake refused) counts as.
REFUSED_AT_HANDSHAKE = 0
# What a refusal that is not a clean problem counts as: not problem+json, a status its body
# does not say, too big, echoing the request. Never an allowed outcome.
NOT_A_CLEAN_PROBLEM = 599


def problem_outcome(
    status: int | None,
    headers: Mapping[str, str],
    body: bytes,
    *,
    never_echoing: str | None = None,
) -> int:
    """`status` when the answer is a problem+json saying that same status (and, with
    `never_echoing`, holding that text in neither its body nor a header); NOT_A_CLEAN_PROBLEM
    otherwise (None: no answer). `headers` are looked up by lower-case name."""
    if status is None or headers.get("content-type") != PROBLEM:
        return NOT_A_CLEAN_PROBLEM
    if never_echoing is not None and (
        never_echoing in body.decode(errors="replace")
        or any(never_echoing in value for value in headers.values())
    ):
        return NOT_A_CLEAN_PROBLEM
    try:
        said = json.loads(body).get("status")
    except (ValueError, AttributeError):  # not JSON, or JSON but not an object
        return NOT_A_CLEAN_PROBLEM
    return status if said == status else NOT_A_CLEAN_PROBLEM


@dataclass
class Tally:
    label: str  # the printed lines' tag: [matrix], [trust]
    outcomes: Counter[str] = field(default_factory=Counter)
    bypasses: list[str] = field(default_factory=list)

    def refused(self, attack: str, case: str, outcome: object, allowed: set) -> None:
        """Count `outcome` (a status, a gRPC code, an exception name); a bypass unless it is
        one of `allowed`."""
        self.outcomes[f"{attack}: {outcome}"] += 1
        if outcome not in allowed:
            self.bypasses.append(f"{attack}: {case} -> {outcome}")

    def report(self, attack: str) -> None:
        prefix = f"{attack}: "
        counts = {
            k.removeprefix(prefix): v for k, v in self.outcomes.items() if k.startswith(prefix)
        }
        through = [b for b in self.bypasses if b.startswith(prefix)]
        print(
            f"[{self.label}] {attack}: {sum(counts.values())} cases, outcomes {counts},"
            f" bypasses {len(through)}"
        )

    def assert_no_bypass(self, *attacks: str) -> None:
        """Report each of `attacks`, then fail, listing them, if any case counted here (of any
        attack, named or not) got through."""
        for attack in attacks:
            self.report(attack)
        assert self.bypasses == [], f"{len(self.bypasses)} bypasses: {self.bypasses[:20]}"
