"""`roomgate secrets rotate`: re-encrypt every stored PMS credential with the first key of
`ROOMGATE_SECRET_KEY` (put the new key first, keep the old ones after it until this has run)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from roomgate.secrets_box import SecretBox, UndecryptableSecret
from roomgate.services.ports import ListingStore


@dataclass(frozen=True, slots=True)
class RotationResult:
    total: int
    rotated: int
    changed_meanwhile: int  # replaced by an operator during the run (already under the new key)
    undecryptable: int  # no configured key opens it (the old key was removed too early)


async def rotate_stored_keys(
    listings: ListingStore, box: SecretBox, progress: Callable[[int, int], None] | None = None
) -> RotationResult:
    rows = await listings.encrypted_keys()
    rotated = changed = broken = 0
    for done, (config_id, token) in enumerate(rows, start=1):
        try:
            fresh = box.rotate(token)
        except UndecryptableSecret:
            broken += 1
        else:
            if await listings.replace_encrypted_key(config_id, token, fresh):
                rotated += 1
            else:
                changed += 1
        if progress is not None:
            progress(done, len(rows))
    return RotationResult(len(rows), rotated, changed, broken)
