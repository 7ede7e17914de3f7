"""The Toss simulator's payments: the Payment object (version 2022-11-16) and its life cycle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

KST = timezone(timedelta(hours=9))
CONFIRM_WINDOW_SECONDS = 600  # after authentication, approve within 10 minutes or the payment expires

# Korean messages as Toss sends them.
MESSAGES = {
    "ALREADY_PROCESSED_PAYMENT": "이미 처리된 결제 입니다.",
    "ALREADY_CANCELED_PAYMENT": "이미 취소된 결제 입니다.",
    "PROVIDER_ERROR": "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해주세요.",
    "INVALID_REQUEST": "잘못된 요청입니다.",
    "UNAUTHORIZED_KEY": "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.",
    "INCORRECT_BASIC_AUTH_FORMAT": "잘못된 요청입니다. ':' 를 포함해 인코딩해주세요.",
    "FORBIDDEN_REQUEST": "허용되지 않은 요청입니다.",
    "REJECT_CARD_PAYMENT": "한도초과 혹은 잔액부족으로 결제에 실패했습니다.",
    "REJECT_CARD_COMPANY": "결제 승인이 거절되었습니다.",
    "INVALID_REJECT_CARD": "카드 사용이 거절되었습니다. 카드사 문의가 필요합니다.",
    "NOT_FOUND_PAYMENT": "존재하지 않는 결제 정보 입니다.",
    "NOT_FOUND_PAYMENT_SESSION": "결제 시간이 만료되어 결제 진행 데이터가 존재하지 않습니다.",
    "NOT_CANCELABLE_AMOUNT": "취소 할 수 없는 금액 입니다.",
    "NOT_CANCELABLE_PAYMENT": "취소 할 수 없는 결제 입니다.",
    "EXPIRED_PAYMENT": "결제가 만료되었습니다. 다시 시도해주세요.",
    "FAILED_INTERNAL_SYSTEM_PROCESSING": "내부 시스템 처리 작업이 실패했습니다. 잠시 후 다시 시도해주세요.",
    "TOO_MANY_REQUESTS": "요청량이 많아 잠시 후 다시 시도해주세요.",
}


def iso(ts: float) -> str:
    """Toss's timestamps: ISO 8601 in Korean time (`2024-02-13T12:18:14+09:00`)."""
    return datetime.fromtimestamp(ts, tz=KST).isoformat(timespec="seconds")


@dataclass
class TossPayment:
    payment_key: str
    order_id: str
    order_name: str
    total_amount: int
    authenticated_at: float
    currency: str = "KRW"
    status: str = "IN_PROGRESS"
    balance_amount: int = 0
    approved_at: float | None = None
    reject_code: str | None = None  # the card company will refuse the approval with this code
    failure: dict[str, str] | None = None
    cancels: list[dict[str, Any]] = field(default_factory=list)
    transaction_keys: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.balance_amount = self.total_amount

    def refresh(self, now: float) -> None:
        """An authentication nobody approved in time expires."""
        if self.status == "IN_PROGRESS" and now - self.authenticated_at >= CONFIRM_WINDOW_SECONDS:
            self.status = "EXPIRED"
            self.failure = {"code": "EXPIRED_PAYMENT", "message": MESSAGES["EXPIRED_PAYMENT"]}

    def approve(self, now: float, transaction_key: str) -> None:
        self.status, self.approved_at = "DONE", now
        self.transaction_keys.append(transaction_key)

    def abort(self, code: str) -> None:
        self.status = "ABORTED"
        self.failure = {"code": code, "message": MESSAGES.get(code, code)}

    def cancel(self, amount: int, reason: str, now: float, transaction_key: str) -> None:
        self.balance_amount -= amount
        self.status = "CANCELED" if self.balance_amount == 0 else "PARTIAL_CANCELED"
        self.transaction_keys.append(transaction_key)
        self.cancels.append(
            {
                "transactionKey": transaction_key,
                "cancelReason": reason,
                "taxExemptionAmount": 0,
                "canceledAt": iso(now),
                "cardDiscountAmount": 0,
                "transferDiscountAmount": 0,
                "easyPayDiscountAmount": 0,
                "receiptKey": None,
                "cancelAmount": amount,
                "taxFreeAmount": 0,
                "refundableAmount": self.balance_amount,
                "cancelStatus": "DONE",
                "cancelRequestId": None,
            }
        )

    def to_json(self) -> dict[str, Any]:
        """The Payment object with the fields Toss documents (card payments only)."""
        vat = round(self.total_amount / 11)
        approved = self.approved_at is not None
        return {
            "mId": "tosspayments",
            "version": "2022-11-16",
            "lastTransactionKey": self.transaction_keys[-1] if self.transaction_keys else None,
            "paymentKey": self.payment_key,
            "orderId": self.order_id,
            "orderName": self.order_name,
            "taxExemptionAmount": 0,
            "status": self.status,
            "requestedAt": iso(self.authenticated_at),
            "approvedAt": iso(self.approved_at) if self.approved_at is not None else None,
            "useEscrow": False,
            "cultureExpense": False,
            "card": _card(self.total_amount, self.status) if approved else None,
            "virtualAccount": None,
            "transfer": None,
            "mobilePhone": None,
            "giftCertificate": None,
            "cashReceipt": None,
            "cashReceipts": None,
            "discount": None,
            "cancels": list(self.cancels) or None,
            "secret": None,
            "type": "NORMAL",
            "easyPay": None,
            "country": "KR",
            "failure": self.failure,
            "isPartialCancelable": True,
            "receipt": {
                "url": f"https://dashboard.tosspayments.com/receipt/redirection?transactionId={self.payment_key}"
            }
            if approved
            else None,
            "checkout": {"url": f"https://api.tosspayments.com/v1/payments/{self.payment_key}/checkout"},
            "currency": self.currency,
            "totalAmount": self.total_amount,
            "balanceAmount": self.balance_amount,
            "suppliedAmount": self.total_amount - vat,
            "vat": vat,
            "taxFreeAmount": 0,
            "method": "카드" if approved else None,
            "metadata": None,
        }

    def summary(self) -> dict[str, Any]:
        return {
            "paymentKey": self.payment_key,
            "orderId": self.order_id,
            "status": self.status,
            "totalAmount": self.total_amount,
            "balanceAmount": self.balance_amount,
            "cancels": len(self.cancels),
        }


def _card(amount: int, status: str) -> dict[str, Any]:
    return {
        "issuerCode": "71",
        "acquirerCode": "71",
        "number": "43301234****123*",
        "installmentPlanMonths": 0,
        "isInterestFree": False,
        "interestPayer": None,
        "approveNo": "00000000",
        "useCardPoint": False,
        "cardType": "신용",
        "ownerType": "개인",
        "acquireStatus": "CANCELED" if status == "CANCELED" else "READY",
        "amount": amount,
    }
