"""Stored-credential encryption: Fernet keys from ROOMGATE_SECRET_KEY, rotation, nothing leaks."""

from __future__ import annotations

import pytest

from roomgate.config import SettingsError, load_settings
from roomgate.secrets_box import SecretBox, UndecryptableSecret, generate_key, parse_keys
from tests.fake_keys import cloudbeds_key

PLAIN = cloudbeds_key("very_secret_value_123")


def test_first_key_encrypts_every_key_decrypts_and_rotate_moves_to_the_first() -> None:
    old, new = generate_key(), generate_key()
    token = SecretBox([old]).encrypt(PLAIN)
    assert PLAIN not in token
    both = SecretBox([new, old])
    assert both.decrypt(token) == PLAIN
    rotated = both.rotate(token)
    assert SecretBox([new]).decrypt(rotated) == PLAIN
    with pytest.raises(UndecryptableSecret) as caught:
        SecretBox([old]).decrypt(rotated)
    assert PLAIN not in str(caught.value) and new not in str(caught.value)


def test_repr_and_errors_never_show_a_key() -> None:
    key = generate_key()
    assert key not in repr(SecretBox([key]))
    with pytest.raises(ValueError) as caught:
        parse_keys(f"{key},not-a-fernet-key")
    assert "entry 2" in str(caught.value) and "not-a-fernet-key" not in str(caught.value)
    assert SecretBox.from_setting(None) is None


def test_settings_name_the_variable_and_hide_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROOMGATE_SECRET_KEY", "hunter2-not-a-key")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "ROOMGATE_SECRET_KEY" in str(caught.value) and "hunter2" not in str(caught.value)
    key = generate_key()
    monkeypatch.setenv("ROOMGATE_SECRET_KEY", f" {key} , {generate_key()} ")
    settings = load_settings()
    assert settings.secret_key is not None and key not in repr(settings)
    monkeypatch.setenv("ROOMGATE_SECRET_KEY", "")
    assert load_settings().secret_key is None
