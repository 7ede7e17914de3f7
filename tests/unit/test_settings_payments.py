"""Payment settings: which providers a deployment accepts, and which keys it may start with.

Each refusal stops start-up with a message naming the variable to fix and never the key itself.
"""

from __future__ import annotations

import pytest

from roomgate.config import PaymentProvider, SettingsError, load_settings
from tests.fake_keys import stripe_live, toss_live

PAYMENT_VARIABLES = (
    "ROOMGATE_ENV",
    "PAYMENT_PROVIDER",
    "PAYMENT_PROVIDERS",
    "PAYMENT_API_KEY",
    "TOSS_SECRET_KEY",
    "STRIPE_SECRET_KEY",
)
LIVE_TOSS = toss_live("settings_0001")
LIVE_STRIPE = stripe_live("settings_0001")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PAYMENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def production(monkeypatch: pytest.MonkeyPatch, **variables: str) -> None:
    monkeypatch.setenv("ROOMGATE_ENV", "production")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    for name, value in variables.items():
        monkeypatch.setenv(name, value)


def refusal(monkeypatch: pytest.MonkeyPatch, **variables: str) -> str:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    return str(err.value)


# -- accepted providers ----------------------------------------------------------------------------


def test_without_payment_providers_only_the_default_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYMENT_PROVIDER", "stripe")
    monkeypatch.setenv("PAYMENT_API_KEY", "sk_test_settings")
    assert load_settings().accepted_payment_providers == (PaymentProvider.STRIPE,)


def test_payment_providers_lists_them_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    # given two providers, spaced, upper-cased and repeated
    settings_env = {
        "PAYMENT_PROVIDER": "toss",
        "PAYMENT_PROVIDERS": " Toss , stripe,toss",
        "PAYMENT_API_KEY": "test_sk_settings",
        "STRIPE_SECRET_KEY": "sk_test_settings",
    }
    for name, value in settings_env.items():
        monkeypatch.setenv(name, value)
    # then both are accepted, once each
    assert load_settings().accepted_payment_providers == (PaymentProvider.TOSS, PaymentProvider.STRIPE)


@pytest.mark.parametrize("listed", ["toss,paypal", "toss,,stripe"])
def test_an_unknown_provider_in_the_list_is_refused(monkeypatch: pytest.MonkeyPatch, listed: str) -> None:
    message = refusal(monkeypatch, PAYMENT_PROVIDERS=listed)
    assert "PAYMENT_PROVIDERS" in message


def test_the_default_provider_must_be_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(
        monkeypatch, PAYMENT_PROVIDER="sandbox", PAYMENT_PROVIDERS="stripe", STRIPE_SECRET_KEY="sk_test_x"
    )
    assert "PAYMENT_PROVIDER: sandbox is not in PAYMENT_PROVIDERS" in message


# -- the sandbox takes no money: never in production -----------------------------------------------


def test_production_refuses_the_default_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    production(monkeypatch)
    message = refusal(monkeypatch)
    assert "PAYMENT_PROVIDER" in message and "sandbox" in message


def test_production_refuses_the_sandbox_beside_a_real_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    production(monkeypatch, PAYMENT_PROVIDER="toss", PAYMENT_API_KEY=LIVE_TOSS)
    message = refusal(monkeypatch, PAYMENT_PROVIDERS="toss,sandbox")
    assert "PAYMENT_PROVIDERS" in message and "sandbox" in message


def test_production_starts_with_live_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    # negative control for the refusals below: the same production settings, keys of the right kind
    production(
        monkeypatch,
        PAYMENT_PROVIDER="toss",
        PAYMENT_PROVIDERS="toss,stripe",
        PAYMENT_API_KEY=LIVE_TOSS,
        STRIPE_SECRET_KEY=LIVE_STRIPE,
    )
    settings = load_settings()
    assert settings.accepted_payment_providers == (PaymentProvider.TOSS, PaymentProvider.STRIPE)
    assert settings.payment_key(PaymentProvider.STRIPE)[0] == "STRIPE_SECRET_KEY"


# -- keys ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        # an enabled provider without a key
        ({"PAYMENT_PROVIDER": "toss"}, "PAYMENT_API_KEY (or TOSS_SECRET_KEY)"),
        (
            {"PAYMENT_PROVIDER": "toss", "PAYMENT_PROVIDERS": "toss,stripe", "PAYMENT_API_KEY": LIVE_TOSS},
            "STRIPE_SECRET_KEY",
        ),
        # a test key in production
        ({"PAYMENT_PROVIDER": "toss", "PAYMENT_API_KEY": "test_sk_settings"}, "PAYMENT_API_KEY"),
        ({"PAYMENT_PROVIDER": "stripe", "STRIPE_SECRET_KEY": "sk_test_settings"}, "STRIPE_SECRET_KEY"),
        # another provider's key
        ({"PAYMENT_PROVIDER": "toss", "PAYMENT_API_KEY": LIVE_STRIPE}, "PAYMENT_API_KEY"),
        ({"PAYMENT_PROVIDER": "stripe", "PAYMENT_API_KEY": LIVE_TOSS}, "PAYMENT_API_KEY"),
        # a per-provider key wins over PAYMENT_API_KEY, so it is the one checked
        (
            {"PAYMENT_PROVIDER": "toss", "PAYMENT_API_KEY": LIVE_TOSS, "TOSS_SECRET_KEY": "test_sk_x"},
            "TOSS_SECRET_KEY",
        ),
    ],
)
def test_production_does_not_start_with_a_wrong_or_missing_key(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], named: str
) -> None:
    production(monkeypatch)
    message = refusal(monkeypatch, **variables)
    assert f"{named}:" in message
    for secret in variables.values():
        if "_sk_" in secret or secret.startswith("sk_"):
            assert secret not in message  # the key itself is never printed


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"PAYMENT_PROVIDER": "toss", "PAYMENT_API_KEY": LIVE_TOSS}, "PAYMENT_API_KEY"),
        ({"PAYMENT_PROVIDER": "stripe", "PAYMENT_API_KEY": LIVE_STRIPE}, "PAYMENT_API_KEY"),
        # even for a provider that is not enabled: a live key has no business outside production
        ({"STRIPE_SECRET_KEY": LIVE_STRIPE}, "STRIPE_SECRET_KEY"),
        ({"PAYMENT_PROVIDER": "stripe", "PAYMENT_API_KEY": "test_sk_settings"}, "PAYMENT_API_KEY"),
        ({"PAYMENT_PROVIDER": "stripe"}, "PAYMENT_API_KEY (or STRIPE_SECRET_KEY)"),
    ],
)
@pytest.mark.parametrize("environment", ["development", "test"])
def test_outside_production_live_keys_and_wrong_keys_are_refused(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], named: str, environment: str
) -> None:
    monkeypatch.setenv("ROOMGATE_ENV", environment)
    message = refusal(monkeypatch, **variables)
    assert f"{named}:" in message


@pytest.mark.parametrize(
    "variables",
    [
        {},  # the embedded default: sandbox, no key
        {"PAYMENT_PROVIDER": "toss", "PAYMENT_API_KEY": "test_sk_settings"},
        {"PAYMENT_PROVIDER": "toss", "PAYMENT_API_KEY": "test_gsk_widget"},
        {"PAYMENT_PROVIDER": "stripe", "PAYMENT_API_KEY": "sk_test_settings"},
        {
            "PAYMENT_PROVIDERS": "sandbox,toss,stripe",
            "TOSS_SECRET_KEY": "test_sk_a",
            "STRIPE_SECRET_KEY": "sk_test_b",
        },
        # the default is the sandbox, which needs no key: PAYMENT_API_KEY is not read (as the tests set it)
        {"PAYMENT_PROVIDER": "sandbox", "PAYMENT_API_KEY": "sk_test_unused"},
    ],
)
def test_development_starts_with_test_keys(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert load_settings().accepted_payment_providers
