"""Mews simulator reservations: add (Optional holds with `ReleasedUtc`), confirm, cancel, getAll.

An `Optional` reservation whose `ReleasedUtc` has passed is released lazily (on the next call):
it becomes `Canceled` with reason `ConfirmationMissed` and its rooms return to availability.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from roomgate.clock import Clock
from roomgate.simulators import mews_views as views
from roomgate.simulators.mews_catalog import MewsCatalog, MewsRefusal, parse_utc, required
from roomgate.simulators.pms_state import PmsSimState, SimReservation, nights

CREATE_STATES = ("Optional", "Enquired", "Confirmed")
MAX_UPDATED_INTERVAL_SECONDS = 92 * 86400  # "max length 3 months"
CANCELLABLE = ("Optional", "Confirmed", "Inquired", "Enquired", "Requested")


class MewsReservations:
    def __init__(self, state: PmsSimState, catalog: MewsCatalog, clock: Clock) -> None:
        self.state = state
        self.catalog = catalog
        self.clock = clock

    def sweep(self) -> None:
        """Release every Optional reservation past its `ReleasedUtc`."""
        now = self.clock.now()
        for res in self.state.reservations.values():
            released = res.extra.get("ReleasedUtc")
            if res.status == "Optional" and released is not None and released <= now:
                self._cancel(res, "ConfirmationMissed", when=released)

    def _cancel(self, res: SimReservation, reason: str, when: float) -> None:
        self.state.release(res)
        res.status = "Canceled"
        res.modified = when
        res.extra.update(CancellationReason=reason, CancelledUtc=when)

    def add(self, body: dict[str, Any], customers: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """All reservations of the request are added, or none (rooms taken are handed back)."""
        required(body, "ServiceId", "Reservations")
        book = self.catalog.by_service(body["ServiceId"])
        taken: list[SimReservation] = []
        # One call makes one reservation group (Mews `GroupId`): the request's, else a new one.
        group: list[str] = [str(body["GroupId"])] if body.get("GroupId") else []
        try:
            for params in body["Reservations"]:
                taken.append(self._add_one(book, body["ServiceId"], params, customers, group))
        except MewsRefusal:
            for res in taken:
                self.state.release(res)
            raise
        for res in taken:
            self.state.reservations[res.reservation_id] = res
        return {
            "Reservations": [
                {"Identifier": res.extra.get("Identifier"), "Reservation": views.reservation_2017(res)}
                for res in taken
            ]
        }

    def _add_one(
        self, book: Any, service_id: str, params: dict[str, Any], customers: dict[str, Any], group: list[str]
    ) -> SimReservation:
        required(params, "StartUtc", "EndUtc", "CustomerId", "RequestedCategoryId", "RateId", "PersonCounts")
        pid, zone = book.property_id, self.catalog.zone(book)
        state = params.get("State") or "Confirmed"
        if state not in CREATE_STATES:
            raise MewsRefusal(400, f"Invalid State {state}.")
        if params["CustomerId"] not in customers:
            raise MewsRefusal(400, "Invalid CustomerId.")
        category = params["RequestedCategoryId"]
        if category not in book.room_types:
            raise MewsRefusal(400, "Invalid RequestedCategoryId.")
        if params["RateId"] != self.catalog.rate_id(pid):
            raise MewsRefusal(400, "Invalid RateId.")
        ages = {self.catalog.age_category_id(pid, "Adult"), self.catalog.age_category_id(pid, "Child")}
        counts = params["PersonCounts"]
        if any(c.get("AgeCategoryId") not in ages or int(c.get("Count") or 0) < 1 for c in counts):
            raise MewsRefusal(400, "Invalid PersonCounts.")
        persons = sum(int(c["Count"]) for c in counts)
        if persons > book.room_types[category].max_guests:
            raise MewsRefusal(
                403, "The number of persons exceeds the maximum occupancy of the resource category."
            )
        start, end = parse_utc(params["StartUtc"], "StartUtc"), parse_utc(params["EndUtc"], "EndUtc")
        check_in, check_out = start.astimezone(zone).date(), end.astimezone(zone).date()
        if check_out <= check_in:
            raise MewsRefusal(400, "Invalid EndUtc: the reservation must last at least one time unit.")
        released = (
            parse_utc(params["ReleasedUtc"], "ReleasedUtc").timestamp() if params.get("ReleasedUtc") else None
        )
        stay = nights(check_in, check_out)
        short = book.try_take(category, stay)
        if short is not None:
            raise MewsRefusal(
                403,
                f"The reservation cannot be created: no availability in the requested resource category on "
                f"{short.isoformat()} (overbooking is not allowed).",
            )
        adult = self.catalog.age_category_id(pid, "Adult")
        adults = sum(int(c["Count"]) for c in counts if c["AgeCategoryId"] == adult)
        children = persons - adults
        now = self.clock.now()
        reservation_id = self.state.new_uuid()
        if not group:
            group.append(self.state.new_uuid())
        return SimReservation(
            reservation_id=reservation_id,
            property_id=pid,
            room_type_id=category,
            check_in=check_in,
            check_out=check_out,
            adults=adults,
            children=children,
            status=state,
            external_id=params.get("ChannelNumber") or None,
            guest=dict(customers[params["CustomerId"]]["guest"]),
            created=now,
            modified=now,
            currency=book.seed.currency,
            nightly=[(day, book.mews_party_rate(category, day, adults, children)) for day in stay],
            extra={
                "Identifier": params.get("Identifier"),
                "ServiceId": service_id,
                "RateId": params["RateId"],
                "CustomerId": params["CustomerId"],
                "GroupId": group[0],
                "Number": self.state.new_digits(6),
                "StartUtc": params["StartUtc"],
                "EndUtc": params["EndUtc"],
                "ReleasedUtc": released if state == "Optional" else None,
                "PersonCounts": [
                    {"AgeCategoryId": c["AgeCategoryId"], "Count": int(c["Count"])} for c in counts
                ],
                "Notes": params.get("Notes"),
            },
            adjustment=self.state.price_adjustments.get(pid, Decimal(0)),
        )

    def _existing(self, body: dict[str, Any]) -> list[SimReservation]:
        required(body, "ReservationIds")
        found = [self.state.reservations.get(str(rid)) for rid in body["ReservationIds"]]
        if any(res is None for res in found):
            raise MewsRefusal(400, "Invalid ReservationIds.")
        return [res for res in found if res is not None]

    def confirm(self, body: dict[str, Any]) -> dict[str, Any]:
        """Optional → Confirmed; refused (403) for any other state, all or nothing."""
        found = self._existing(body)
        for res in found:
            if res.status != "Optional":
                raise MewsRefusal(
                    403, f"Reservation {res.extra['Number']} cannot be confirmed in state {res.status}."
                )
        for res in found:
            res.status, res.modified = "Confirmed", self.clock.now()
            res.extra["ReleasedUtc"] = None
        return {"ReservationIds": [res.reservation_id for res in found]}

    def cancel(self, body: dict[str, Any]) -> dict[str, Any]:
        """Cancel and hand the rooms back; `Notes` are required; a cancelled one is refused (403)."""
        found = self._existing(body)
        required(body, "Notes")
        for res in found:
            if res.status not in CANCELLABLE:
                raise MewsRefusal(
                    403, f"Reservation {res.extra['Number']} cannot be canceled in state {res.status}."
                )
        for res in found:
            self._cancel(res, "Other", when=self.clock.now())
        return {"ReservationIds": [res.reservation_id for res in found]}

    def search(self, body: dict[str, Any], property_ids: set[str]) -> list[dict[str, Any]]:
        """`reservations/getAll/2023-06-06` filters: ids, numbers, channel numbers, states, services."""

        def allowed(name: str) -> set[str] | None:
            values = body.get(name)
            return {str(v) for v in values} if values else None

        ids, numbers, channel, states, services = (
            allowed(n) for n in ("ReservationIds", "Numbers", "ChannelNumbers", "States", "ServiceIds")
        )
        updated = body.get("UpdatedUtc")
        since = until = None
        if isinstance(updated, dict):  # a time interval filter; Mews caps its length at 3 months
            required(updated, "StartUtc", "EndUtc")
            since = parse_utc(updated["StartUtc"], "UpdatedUtc.StartUtc").timestamp()
            until = parse_utc(updated["EndUtc"], "UpdatedUtc.EndUtc").timestamp()
            if not 0 <= until - since <= MAX_UPDATED_INTERVAL_SECONDS:
                raise MewsRefusal(400, "Invalid UpdatedUtc: the interval must be at most 3 months.")
        rows = [
            res
            for res in self.state.reservations.values()
            if res.property_id in property_ids
            and (ids is None or res.reservation_id in ids)
            and (numbers is None or res.extra["Number"] in numbers)
            and (channel is None or (res.external_id or "") in channel)
            and (states is None or res.status in states)
            and (services is None or res.extra["ServiceId"] in services)
            and (since is None or res.modified >= since)
            and (until is None or res.modified <= until)
        ]
        rows.sort(key=lambda res: (res.created, res.reservation_id), reverse=True)
        return [views.reservation_2023(res) for res in rows]
