"""The module's tables. A resource's opening hours are a JSON list of weekly spans in the
tenant's time zone (`{"weekday": 0..6, "opens": minutes, "closes": minutes}`, Monday 0,
`closes` up to 1440): a handful per resource, always read with it.

Capacity is in party-size units: at no instant may the `party_size` of the PENDING and
CONFIRMED reservations of a resource add up to more than its `capacity` (a room for 8
people takes two parties of 4 at once; a resource booked whole has capacity 1 and parties
of 1). Reservations keep a `version` that every change bumps, and the idempotency keys of
`createReservation` sit in a table of their own (`core.records.claim_key`)."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.models import NEVER_REUSE_IDS, Base, JSONType, UTCDateTime, utcnow


class ReservationResource(Base):
    __tablename__ = "reservation_resources"
    __table_args__ = (Index(None, "tenant_id", "name"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    capacity: Mapped[int] = mapped_column(Integer)
    opening_hours: Mapped[list] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reservation(Base):
    __tablename__ = "reservations"
    __table_args__ = (
        Index(None, "tenant_id", "customer_id", "start_at", "id"),
        Index(None, "tenant_id", "resource_id", "start_at"),
        NEVER_REUSE_IDS,  # events name reservations by id
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # resources are deactivated, never deleted: a reservation always has its resource
    resource_id: Mapped[int] = mapped_column(ForeignKey("reservation_resources.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    party_size: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReservationKey(Base):
    """A `createReservation` key, claimed first thing in the transaction: a retry waits for
    the first request's commit, then answers its reservation."""

    __tablename__ = "reservation_idempotency_keys"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    reservation_id: Mapped[int | None] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


TABLES = [ReservationResource.__table__, Reservation.__table__, ReservationKey.__table__]
