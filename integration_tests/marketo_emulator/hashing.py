"""Deterministic pseudo-randomness from (seed, stream, index), so data is generated lazily.

Every generated record is a pure function of the seed and its index: nothing needs to be held in
memory, and the same lead is identical whether it is read over REST, exported in bulk or asked
for as ground truth. One BLAKE2b digest gives 32 independent 16-bit "slots" per record.
"""
from __future__ import annotations

import random
import struct
from hashlib import blake2b

_SLOTS = struct.Struct("<32H")
MASK64 = (1 << 64) - 1


class SlotSource:
    """Yields 32 16-bit values for any integer key, for one (seed, stream) pair."""

    __slots__ = ("_key",)

    def __init__(self, seed: int, stream: str) -> None:
        self._key = blake2b(f"{seed}:{stream}".encode(), digest_size=32).digest()

    def slots(self, index: int) -> tuple[int, ...]:
        digest = blake2b(index.to_bytes(8, "little", signed=False), key=self._key, digest_size=64).digest()
        return _SLOTS.unpack(digest)

    def digest(self, index: int) -> bytes:
        """64 pseudo-random bytes for `index` (index them for 8-bit slots)."""
        return blake2b(index.to_bytes(8, "little", signed=False), key=self._key, digest_size=64).digest()

    def first(self, index: int) -> int:
        """Just slot 0 (same value as slots(index)[0]), used by fast scans."""
        digest = blake2b(index.to_bytes(8, "little", signed=False), key=self._key, digest_size=64).digest()
        return digest[0] | (digest[1] << 8)


def seeded_rng(seed: int, *parts: object) -> random.Random:
    """A `random.Random` for one purpose (a tick, the fault probabilities), derived from the seed."""
    material = ":".join(str(part) for part in (seed, *parts)).encode()
    return random.Random(int.from_bytes(blake2b(material, digest_size=8).digest(), "little"))
