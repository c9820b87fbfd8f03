"""Masking caches a token's result by its digit shape: every token and message gets exactly what
the full masking gives it, whatever same-shaped tokens came before (the digit tests that tell
digits apart, the "0" of "0x" and the 2-9 of pod suffixes, keep their tokens out of it)."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from log_gardener.core.grouping import fingerprint
from log_gardener.core.grouping.fingerprint import mask_message, mask_token

# Each pattern's "#" is a digit.
TOKENS = (
    "port=#####",
    "##.##.#.###:####",
    "/##.#.#.##:#####",
    "##ms",
    "duration=##.#ms",
    "sshd[#####]:",
    "(##.#%)",
    "#.#.#",
    "v#.##",
    "node##",
    "SOCKS#",
    "utf#",
    "HTTP/#.#",
    "attempt_####_##_m_#####_#",
    "rdd_##_#",
    "##:##:##,###",
    "####/##/##",
    "#e-#",
    "##KB",
    "0x#f#",
    "#x#f",
    "#x#px",
    "api-#d#f#b#c#-x#k#z",
    "web-#####",
    "blk_-###########",
    "####-##-##T##:##:##Z",
    "########-####-####-####-############",
    "a#b#c#d#e#f#a#b#c#d#e#f#a#b#c#d#",
    "user#@example.com",
    "https://x.example/#/#?q=#",
    "\\u0663\\u0664#",
    "\u0663#",
    "\u00b2#",
    "key:##",
    "a.b#.c",
    "psycopg#.Error",
    "id=ab#cd#ef#",
)


def _fill(pattern: str, rng: random.Random) -> str:
    return "".join(rng.choice("0123456789") if ch == "#" else ch for ch in pattern)


def _clear() -> None:
    fingerprint._MESSAGE_CACHE.clear()
    fingerprint._TOKEN_CACHE.clear()
    fingerprint._SHAPE_CACHE.clear()


def _warm_equals_cold(mask: Callable[[str], str], texts: list[str]) -> None:
    """Each text masked with the caches warm from the texts before it equals its mask with
    every cache empty."""
    cold = []
    for text in texts:
        _clear()
        cold.append(mask(text))
    _clear()
    assert [mask(text) for text in texts] == cold


@pytest.mark.parametrize("pattern", TOKENS)
def test_shape_cached_tokens_equal_the_full_way(pattern: str) -> None:
    rng = random.Random(pattern)
    _warm_equals_cold(mask_token, [_fill(pattern, rng) for _ in range(300)])


def test_shape_cached_messages_equal_the_full_way() -> None:
    rng = random.Random(11)
    texts = [
        " ".join(_fill(rng.choice(TOKENS), rng) for _ in range(rng.randint(1, 6)))
        for _ in range(2000)
    ]
    _warm_equals_cold(mask_message, texts)


def test_digits_that_masking_tells_apart_are_never_shared() -> None:
    _clear()
    assert mask_token("0x1f") == "<HEX>"
    assert mask_token("1x1f") == _cold("1x1f")
    assert mask_token("api-7d9f8b6c5-x2k9z") == "api-<POD>"
    assert mask_token("api-7d9f8b6c5-x1k0z") == _cold("api-7d9f8b6c5-x1k0z")


def _cold(token: str) -> str:
    saved = (
        dict(fingerprint._TOKEN_CACHE),
        dict(fingerprint._SHAPE_CACHE),
    )
    _clear()
    result = mask_token(token)
    fingerprint._TOKEN_CACHE.update(saved[0])
    fingerprint._SHAPE_CACHE.update(saved[1])
    return result
