"""Verification codes and certificate numbers.

A verification code is 140 random bits from `secrets` written in Crockford's base32:
digits and upper-case letters without I, L, O and U, so nothing on a printed certificate
can be misread (0 and O, 1 and l). Read back, case is ignored, hyphens and spaces are
dropped and the misreadable letters are taken for the digits they look like.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_BITS = 140  # at least 128; 140 makes 28 characters, seven groups of four
CODE_LENGTH = CODE_BITS // 5
GROUP = 4
_MISREAD = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-]+")
_CODE = re.compile(f"[{ALPHABET}]{{{CODE_LENGTH}}}")


def new_code() -> str:
    """A new verification code: CODE_LENGTH characters of ALPHABET."""
    number = secrets.randbits(CODE_BITS)
    characters = []
    for _ in range(CODE_LENGTH):
        number, digit = divmod(number, 32)
        characters.append(ALPHABET[digit])
    return "".join(characters)


def normalise(typed: str) -> str | None:
    """The code someone typed or scanned, as stored; None if it cannot be one."""
    code = _SEPARATORS.sub("", typed or "").upper().translate(_MISREAD)
    return code if _CODE.fullmatch(code) else None


def grouped(code: str) -> str:
    """ "7K2M-9QXD-..." : the code in groups of four, as printed."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def certificate_number(prefix: str, year: int, serial: int) -> str:
    """ "PMO-2026-00042": the prefix, the year of issue and the serial, five digits or more."""
    return f"{prefix}-{year}-{serial:05d}"
