"""Counting an attack's cases: every outcome per attack, and each case that got through (a
bypass: an outcome not among those allowed). Tests print the counts and expect no bypass
(`assert_no_bypass`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


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
