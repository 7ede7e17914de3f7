"""What the Stripe simulator remembers and how each endpoint changes it."""

from __future__ import annotations

import random
import re
import string
from typing import Any

from roomgate.clock import Clock
from roomgate.simulators.base import Answer
from roomgate.simulators.stripe_objects import (
    AUTHENTICATION_CARDS,
    CANCELABLE,
    DECLINING_CARDS,
    SUCCEEDING_CARDS,
    Charge,
    PaymentIntent,
    Refund,
    stripe_error,
)
from roomgate.simulators.stripe_params import InvalidRequest, choice_param, int_param, list_param

_METADATA_QUERY = re.compile(r"""metadata\[(['"])(?P<key>[^'"]+)\1\]:(['"])(?P<value>(?:\\.|(?!\3).)*)\3""")


class StripeState:
    def __init__(self, *, seed: int, clock: Clock) -> None:
        self.seed, self.clock = seed, clock
        self.reset()

    def reset(self) -> None:
        self.ids = random.Random(self.seed)
        self.intents: dict[str, PaymentIntent] = {}
        self.refunds: dict[str, Refund] = {}

    def summary(self) -> dict[str, Any]:
        for intent in self.intents.values():
            intent.refresh(self.clock.now())
        return {
            "payment_intents": [intent.summary() for intent in self.intents.values()],
            "refunds": [refund.to_json() for refund in self.refunds.values()],
        }

    def new_id(self, prefix: str) -> str:
        return prefix + "".join(self.ids.choices(string.ascii_letters + string.digits, k=24))

    def now(self) -> int:
        return int(self.clock.now())

    # -- PaymentIntents --------------------------------------------------------------------------
    def create_intent(self, params: dict[str, Any]) -> Answer:
        amount = int_param(params, "amount", required=True)
        currency = str(params.get("currency") or "")
        if not re.fullmatch(r"[a-z]{3}", currency):
            raise InvalidRequest("Missing or invalid currency.", param="currency", code="parameter_missing")
        capture_method = choice_param(
            params, "capture_method", ("automatic", "automatic_async", "manual"), "automatic"
        )
        confirm = choice_param(params, "confirm", ("true", "false"), "false") == "true"
        method = params.get("payment_method")
        metadata = params.get("metadata") or {}
        if not isinstance(metadata, dict) or (method is not None and not isinstance(method, str)):
            raise InvalidRequest("Invalid metadata or payment_method.", param="metadata")
        if method is not None and method not in SUCCEEDING_CARDS | AUTHENTICATION_CARDS | set(
            DECLINING_CARDS
        ):
            raise InvalidRequest(
                f"No such PaymentMethod: '{method}'", param="payment_method", code="resource_missing"
            )
        if confirm and method is None:
            raise InvalidRequest(
                "You cannot confirm this PaymentIntent because it's missing a payment method.",
                code="payment_intent_unexpected_state",
            )
        intent = PaymentIntent(
            id=self.new_id("pi_"),
            amount=amount or 0,
            currency=currency,
            capture_method=str(capture_method),
            created=self.now(),
            payment_method=method,
            metadata={str(k): str(v) for k, v in metadata.items()},
            status="requires_confirmation" if method else "requires_payment_method",
        )
        self.intents[intent.id] = intent
        return self._confirm(intent) if confirm else (200, intent.to_json())

    def _confirm(self, intent: PaymentIntent) -> Answer:
        method = str(intent.payment_method)
        if method in DECLINING_CARDS:
            code, decline_code, message = DECLINING_CARDS[method]
            error = stripe_error("card_error", message, code=code, decline_code=decline_code, param="")
            intent.status, intent.last_payment_error = "requires_payment_method", dict(error["error"])
            error["error"]["payment_intent"] = intent.to_json()
            return 402, error
        if method in AUTHENTICATION_CARDS:
            intent.status = "requires_action"
            return 200, intent.to_json()
        intent.charge = Charge(self.new_id("ch_"), intent.id, intent.amount, intent.currency, self.now())
        if intent.capture_method == "manual":
            intent.status, intent.amount_capturable = "requires_capture", intent.amount
        else:
            intent.status, intent.amount_received = "succeeded", intent.amount
            intent.charge.captured, intent.charge.amount_captured = True, intent.amount
        return 200, intent.to_json()

    def retrieve_intent(self, intent_id: str, params: dict[str, Any]) -> Answer:
        intent = self._intent(intent_id)
        return 200, intent.to_json(expand_charge="latest_charge" in list_param(params, "expand"))

    def search_intents(self, params: dict[str, Any]) -> Answer:
        match = _METADATA_QUERY.fullmatch(str(params.get("query") or "").strip())
        if match is None:
            raise InvalidRequest(
                "Invalid query: only metadata['key']:'value' is supported here.", param="query"
            )
        value = re.sub(r"\\(.)", r"\1", match["value"])
        expand = "data.latest_charge" in list_param(params, "expand")
        found = [i for i in self.intents.values() if i.metadata.get(match["key"]) == value]
        for intent in found:
            intent.refresh(self.clock.now())
        data = [i.to_json(expand_charge=expand) for i in sorted(found, key=lambda i: i.created, reverse=True)]
        page = {
            "object": "search_result",
            "url": "/v1/payment_intents/search",
            "has_more": False,
            "next_page": None,
        }
        return 200, {**page, "data": data}

    def capture(self, intent_id: str, params: dict[str, Any]) -> Answer:
        intent = self._intent(intent_id)
        amount = int_param(params, "amount_to_capture") or intent.amount_capturable
        if intent.status != "requires_capture" or intent.charge is None:
            return _unexpected_state(intent, "captured", ("requires_capture",))
        if amount > intent.amount_capturable:
            raise InvalidRequest(
                "amount_to_capture must be less than or equal to amount_capturable.",
                param="amount_to_capture",
                code="amount_too_large",
            )
        intent.status, intent.amount_received, intent.amount_capturable = "succeeded", amount, 0
        intent.charge.captured, intent.charge.amount_captured = True, amount
        return 200, intent.to_json()

    def cancel(self, intent_id: str, params: dict[str, Any]) -> Answer:
        intent = self._intent(intent_id)
        reasons = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
        reason = choice_param(params, "cancellation_reason", reasons, None)
        if intent.status not in CANCELABLE:
            return _unexpected_state(intent, "canceled", CANCELABLE)
        intent.cancel(self.now(), reason)
        return 200, intent.to_json()

    # -- Refunds ---------------------------------------------------------------------------------
    def create_refund(self, params: dict[str, Any]) -> Answer:
        intent_id, charge_id = params.get("payment_intent"), params.get("charge")
        intent = next((i for i in self.intents.values() if i.charge and i.charge.id == charge_id), None)
        intent = self.intents.get(str(intent_id)) if intent_id else intent
        if intent is None:
            missing = (
                f"No such payment_intent: '{intent_id}'" if intent_id else "Missing payment_intent or charge."
            )
            raise InvalidRequest(missing, param="payment_intent", code="resource_missing")
        reason = choice_param(params, "reason", ("duplicate", "fraudulent", "requested_by_customer"), None)
        amount = int_param(params, "amount")
        intent.refresh(self.clock.now())
        charge = intent.charge
        if intent.status != "succeeded" or charge is None:
            message = f"This PaymentIntent ({intent.id}) does not have a successful charge to refund."
            return 400, stripe_error("invalid_request_error", message, code="charge_not_captured")
        remaining = charge.amount_captured - charge.amount_refunded
        if remaining == 0:
            message = f"Charge {charge.id} has already been refunded."
            return 400, stripe_error("invalid_request_error", message, code="charge_already_refunded")
        if amount is not None and amount > remaining:
            message = f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})"
            return 400, stripe_error(
                "invalid_request_error", message, code="amount_too_large", param="amount"
            )
        metadata = params.get("metadata") if isinstance(params.get("metadata"), dict) else {}
        refund = Refund(
            id=self.new_id("re_"),
            amount=amount or remaining,
            charge=charge.id,
            payment_intent=intent.id,
            currency=intent.currency,
            created=self.now(),
            reason=reason,
            metadata={str(k): str(v) for k, v in (metadata or {}).items()},
        )
        charge.amount_refunded += refund.amount
        self.refunds[refund.id] = refund
        return 200, refund.to_json()

    def retrieve_refund(self, refund_id: str) -> Answer:
        refund = self.refunds.get(refund_id)
        if refund is None:
            raise InvalidRequest(
                f"No such refund: '{refund_id}'", param="id", code="resource_missing", status=404
            )
        return 200, refund.to_json()

    def _intent(self, intent_id: str) -> PaymentIntent:
        intent = self.intents.get(intent_id)
        if intent is None:
            message = f"No such payment_intent: '{intent_id}'"
            raise InvalidRequest(message, param="intent", code="resource_missing", status=404)
        intent.refresh(self.clock.now())
        return intent


def _unexpected_state(intent: PaymentIntent, verb: str, allowed: tuple[str, ...]) -> Answer:
    message = (
        f"This PaymentIntent could not be {verb} because it has a status of {intent.status}. "
        f"Only a PaymentIntent with one of the following statuses may be {verb}: {', '.join(allowed)}."
    )
    body = stripe_error("invalid_request_error", message, code="payment_intent_unexpected_state")
    body["error"]["payment_intent"] = intent.to_json()
    return 400, body
