"""Join codes, secrets and nicknames.

A join code is ten characters from 31 that cannot be mistaken for one another (no 0/O, 1/I/L), drawn
from :mod:`secrets`: 31**10 is about 8e14 codes (49 bits), so a guesser trying a thousand codes a second
against a hundred open classes would need centuries on average. It is shown as ``ABCDE-FGHJK``; what a
student types is read leniently (case, spaces and dashes do not matter). The teacher's control and
each student's seat are 256-bit secrets from :func:`secrets.token_urlsafe`, kept in the database only
as their SHA-256 digests. A nickname is normalised (NFKC, no control or format characters, spaces
collapsed), bounded and shown as text, never as markup.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
NICKNAME_MAX = 24


class CodeError(ValueError):
    """What a person typed cannot be a join code or a nickname (the message says why)."""


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def show_code(code: str) -> str:
    """``ABCDEFGHJK`` as ``ABCDE-FGHJK``, easier to read out to a class."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def read_code(typed: str) -> str:
    """A code as typed (any case, spaces and dashes) in its stored form; CodeError when it cannot be one."""
    if not isinstance(typed, str) or len(typed) > 64:
        raise CodeError("A join code is ten letters and digits, such as ABCDE-FGHJK.")
    code = "".join(c for c in typed.upper() if c not in " -\t")
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        raise CodeError("A join code is ten letters and digits, such as ABCDE-FGHJK. Check it on the projector.")
    return code


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What the database keeps of a secret."""
    return hashlib.sha256(str(secret).encode("utf-8", "replace")).hexdigest()


def nickname(typed: str) -> str:
    """A nickname fit to store and show: NFKC, printable characters only, single spaces, 1 to 24 characters."""
    if not isinstance(typed, str):
        raise CodeError("Type a nickname.")
    text = unicodedata.normalize("NFKC", typed[:1000])
    kept = "".join(" " if c.isspace() else c for c in text if c.isspace() or unicodedata.category(c)[0] != "C")
    name = " ".join(kept.split())
    if not name:
        raise CodeError("Type a nickname: any name your teacher will recognise, no account needed.")
    if len(name) > NICKNAME_MAX:
        raise CodeError(f"A nickname has at most {NICKNAME_MAX} characters; yours has {len(name)}.")
    return name
