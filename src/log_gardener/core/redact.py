"""Redaction of secrets and personal data.  Pure.

OWNER: redaction helper.  Contract: ``redact(text, policy) -> str`` replaces every secret or
personal value by ``[REDACTED:<kind>]`` (no partial leaks), robust to zero-width characters and
percent-encoding.  Runs only on what is published (templates, samples, values shown), never on
the clustering hot path, so a fingerprint never depends on redaction.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExtraPattern:
    kind: str  # becomes [REDACTED:<kind>]
    regex: str


@dataclass(frozen=True)
class RedactionPolicy:
    ip_addresses: bool = True  # rules switch, default on
    extra_patterns: tuple[ExtraPattern, ...] = ()  # from the rules file
    extra_keys: tuple[str, ...] = ()  # more key names whose values are always redacted


DEFAULT_POLICY = RedactionPolicy()


def redact(text: str, policy: RedactionPolicy = DEFAULT_POLICY) -> str:
    """PLACEHOLDER until the redaction helper lands: redacts everything (safe, useless)."""
    return "[REDACTED:unimplemented]" if text else ""
