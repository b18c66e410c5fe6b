"""When a login may be tried: the login throttle's rules, without storage or clock.

Failures are counted per (account, client address) and per client address, never per account
alone: a per-account limit lets anyone lock out any username they know, from anywhere.

- A pair (account, address) has a low limit; past it, that pair waits until its oldest counted
  failure leaves the window. The owner from another address is not affected.
- An address has a higher limit (it may be a NAT shared by many people); past it, each further
  try from it waits longer, doubling from the initial wait up to the maximum, counted from its
  newest failure. A delay, not a lock: as failures leave the window the waits shrink again.

A distributed attacker gets `pair_limit` guesses per account per address per window. No
per-account rule is added against that: any refusal keyed on the account alone (even one that
spares addresses the owner logged in from before) refuses the owner on a new network while
the attack runs, and IPv6 makes many addresses cheap. Strong passwords are the answer there.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

# One IPv6 subscriber gets a /64 (RFC 6177 suggests more): counting full addresses would let
# them try from 2**64 "addresses".
IPV6_SUBSCRIBER_PREFIX = 64
MAX_ADDRESS_LENGTH = 64
# A caller without an address (no header, no socket peer) shares one count with all such.
UNKNOWN_ADDRESS = "unknown"


@dataclass(frozen=True)
class FailureHistory:
    """The failures before an attempt, within the window."""

    # Of this account from this address, newest first; at most the pair limit of them.
    pair: tuple[datetime, ...]
    # From this address, whatever account they named.
    address_count: int
    address_newest: datetime | None


@dataclass(frozen=True)
class ThrottlePolicy:
    pair_limit: int
    address_limit: int
    window: timedelta
    backoff_initial_seconds: int
    backoff_max_seconds: int

    def retry_after(self, history: FailureHistory, now: datetime) -> int | None:
        """Whole seconds until a login with this history may be tried; None when it may now."""
        waits = [self._pair_free_at(history), self._address_free_at(history)]
        seconds = max(((at - now).total_seconds() for at in waits if at is not None), default=0)
        return math.ceil(seconds) if seconds > 0 else None

    def backoff_seconds(self, excess: int) -> int:
        """The wait after the address limit's `excess`-th extra failure (0: the limit itself)."""
        ceiling = self.backoff_max_seconds
        # Compared before multiplying: the excess may be large, 2**excess need not be built.
        if excess >= ceiling.bit_length():
            return ceiling
        return min(ceiling, self.backoff_initial_seconds << excess)

    def _pair_free_at(self, history: FailureHistory) -> datetime | None:
        if len(history.pair) < self.pair_limit:
            return None
        # Free when the pair_limit-th newest failure leaves the window.
        return history.pair[self.pair_limit - 1] + self.window

    def _address_free_at(self, history: FailureHistory) -> datetime | None:
        if history.address_count < self.address_limit or history.address_newest is None:
            return None
        excess = history.address_count - self.address_limit
        return history.address_newest + timedelta(seconds=self.backoff_seconds(excess))


def throttle_address(client_address: str | None) -> str:
    """What the throttle counts as one client address: an IPv4 address, an IPv6 /64 (an
    IPv4-mapped IPv6 address counts as its IPv4 address), anything else as given, shortened."""
    if not client_address:
        return UNKNOWN_ADDRESS
    try:
        address = ipaddress.ip_address(client_address)
    except ValueError:
        return client_address[:MAX_ADDRESS_LENGTH]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        host_bits = 128 - IPV6_SUBSCRIBER_PREFIX
        # From the integer: a scope id (fe80::1%eth0) cannot reach the network's text.
        network = (int(address) >> host_bits) << host_bits
        return str(ipaddress.IPv6Network((network, IPV6_SUBSCRIBER_PREFIX)))
    return str(address)


def throttle_account(username: str) -> str:
    """Counted whatever the case of the letters: a guess at "Alice" counts for "alice" too."""
    return username.lower()
