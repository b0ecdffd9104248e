"""Keyed pseudonyms for client and trajectory ids (docs/input-checks.md).

``pseudonym(key, domain, id)`` is the first 32 hex characters (128 bits) of
HMAC-SHA256(key, ``"<domain>:<id>"``) (RFC 2104). 128 bits make a collision impossible in
practice (the birthday bound for 10^6 ids is about 10^-27), and the domain prefix keeps a client
and a trajectory that share an export id apart. Without the key a pseudonym cannot be traced back
to the export id, and a different key gives unrelated pseudonyms.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from functools import partial
from typing import Literal

import numpy as np
import pandas as pd

from pipeline.ingest.normalise import TextMemo

Domain = Literal["client", "trajectory"]

#: Hex characters kept of the HMAC-SHA256 digest (128 bits).
PSEUDONYM_HEX_CHARS = 32

#: The fixed, public key used only for synthetic exports (a ``SYNTHETIC.json`` marker with
#: ``"synthetic": true``). Not a secret: never use it for real data.
DEMO_KEY = b"alk-rom-pipeline synthetic demo key (public, never for real data)"

_BLOCK = 64  # SHA-256 block size in bytes


def pseudonym(key: bytes, domain: Domain, identifier: str) -> str:
    """The pseudonym of one export id.

    Parameters
    ----------
    key
        The HMAC key.
    domain
        ``"client"`` or ``"trajectory"``.
    identifier
        The export's id, as trimmed text.

    Returns
    -------
    str
        32 lower-case hex characters.
    """
    message = f"{domain}:{identifier}".encode()
    return hmac.digest(key, message, "sha256").hex()[:PSEUDONYM_HEX_CHARS]


class Pseudonymiser:
    """HMAC-SHA256 pseudonyms of many ids, each distinct id hashed once.

    The inner and outer SHA-256 states of the key are computed once (RFC 2104), so each id
    costs two hash copies; results equal :func:`pseudonym`.

    Parameters
    ----------
    key
        The HMAC key (non-empty).
    """

    def __init__(self, key: bytes) -> None:
        block = hashlib.sha256(key).digest() if len(key) > _BLOCK else key
        block = block.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        self._memo = {
            domain: TextMemo(partial(self.compute, domain), object)
            for domain in ("client", "trajectory")
        }

    def one(self, domain: Domain, identifier: str) -> str:
        """The pseudonym of one id."""
        inner = self._inner.copy()
        inner.update(f"{domain}:{identifier}".encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()[:PSEUDONYM_HEX_CHARS]

    def compute(self, domain: Domain, identifiers: np.ndarray) -> np.ndarray:
        """Pseudonyms of ids (text), each hashed (no cache), as an object array in order."""
        inner, outer, hex_chars = self._inner, self._outer, PSEUDONYM_HEX_CHARS
        out = []
        for identifier in np.asarray(identifiers, dtype=object).tolist():
            state = inner.copy()
            state.update(f"{domain}:{identifier}".encode())
            final = outer.copy()
            final.update(state.digest())
            out.append(final.hexdigest()[:hex_chars])
        return np.asarray(out, dtype=object)

    def prime(self, domain: Domain, identifiers: np.ndarray) -> None:
        """Hash many ids at once (every table's ids) for fast later lookups."""
        self._memo[domain].prime(identifiers)

    def distinct(self, domain: Domain, identifiers: np.ndarray) -> np.ndarray:
        """Pseudonyms of distinct ids (text), as an object array in the same order."""
        return np.asarray(self._memo[domain].lookup(identifiers), dtype=object)

    def many(self, domain: Domain, identifiers: Iterable[str] | np.ndarray) -> np.ndarray:
        """Pseudonyms of ids (text), as an object array in the same order; each distinct id
        is hashed once per :class:`Pseudonymiser`."""
        texts = np.asarray(
            identifiers if isinstance(identifiers, np.ndarray) else list(identifiers), dtype=object
        )
        if not len(texts):
            return np.empty(0, dtype=object)
        codes, unique = pd.factorize(texts)
        keys = self._memo[domain].lookup(np.asarray(unique, dtype=object))
        return np.asarray(keys, dtype=object)[codes]


def pseudonymise(key: bytes, domain: Domain, identifiers: Iterable[str]) -> np.ndarray:
    """Pseudonyms of ids (one HMAC per distinct id), as an object array in the same order."""
    return Pseudonymiser(key).many(domain, identifiers)
