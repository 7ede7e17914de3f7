"""Encryption at rest for stored PMS credentials: Fernet keys from `ROOMGATE_SECRET_KEY`.

The setting is a comma-separated list of Fernet keys. The first encrypts; every key decrypts, so a
new key is put first, `roomgate secrets rotate` re-encrypts every stored credential with it, and the
old key can then be removed. Nothing here ever logs or returns a plaintext in an error.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretKeyMissing(RuntimeError):
    """Credentials must be stored or read but `ROOMGATE_SECRET_KEY` is not set."""

    def __init__(self) -> None:
        super().__init__("ROOMGATE_SECRET_KEY is not set: stored PMS credentials cannot be encrypted or read")


class UndecryptableSecret(RuntimeError):
    """A stored value none of the configured keys opens (wrong or removed key)."""

    def __init__(self) -> None:
        super().__init__("a stored credential cannot be decrypted with any key in ROOMGATE_SECRET_KEY")


def parse_keys(value: str) -> list[str]:
    """The comma-separated keys; raises ValueError (naming no key) when one is not a Fernet key."""
    keys = [part.strip() for part in value.split(",") if part.strip()]
    if not keys:
        raise ValueError("no key given")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            raise ValueError(
                f"entry {position} is not a Fernet key (32 url-safe base64-encoded bytes; "
                "`roomgate secrets generate-key` prints one)"
            ) from None
    return keys


def generate_key() -> str:
    return Fernet.generate_key().decode()


class SecretBox:
    """Encrypt with the first key, decrypt with any (cryptography's MultiFernet)."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("SecretBox needs at least one key")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    @classmethod
    def from_setting(cls, value: str | None) -> SecretBox | None:
        return cls(parse_keys(value)) if value else None

    def __repr__(self) -> str:
        return "SecretBox(<keys redacted>)"

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise UndecryptableSecret() from None

    def rotate(self, token: str) -> str:
        """The same secret encrypted with the current (first) key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise UndecryptableSecret() from None
