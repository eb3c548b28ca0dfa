"""SQLModel tables of ClientDesk.

Every table carries ``team_id``: the Slack workspace (or Enterprise Grid organisation) a row belongs to.
Nothing here knows Slack; ``team_id`` is just the tenant key.

Field names follow QuickBooks Online's Customer entity; lengths are QuickBooks' API limits.
"""

from __future__ import annotations

import datetime as dt
import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

MONEY = Numeric(15, 2)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class DeliveryMethod(enum.StrEnum):
    PRINT = "print"
    EMAIL = "email"
    NONE = "none"


class ProjectStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Interval(enum.StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


# Maximum lengths of the customer's text fields (QuickBooks Online API limits; addresses from its import).
FIELD_MAX_LENGTHS: dict[str, int] = {
    "title": 16,
    "given_name": 100,
    "middle_name": 100,
    "family_name": 100,
    "suffix": 16,
    "company_name": 100,
    "display_name": 500,
    "print_on_check_name": 110,
    "email": 100,
    "phone": 30,
    "mobile": 30,
    "fax": 30,
    "other_phone": 30,
    "website": 1000,
    "bill_street": 2000,
    "bill_city": 255,
    "bill_state": 255,
    "bill_postal_code": 30,
    "bill_country": 255,
    "ship_street": 2000,
    "ship_city": 255,
    "ship_state": 255,
    "ship_postal_code": 30,
    "ship_country": 255,
    "notes": 2000,
    "payment_method": 100,
    "terms": 100,
    "resale_number": 16,
}

BILL_ADDRESS_FIELDS = ("bill_street", "bill_city", "bill_state", "bill_postal_code", "bill_country")
SHIP_ADDRESS_FIELDS = ("ship_street", "ship_city", "ship_state", "ship_postal_code", "ship_country")


def _text(name: str, **kw: Any) -> Any:
    return Field(default=None, max_length=FIELD_MAX_LENGTHS[name], **kw)


class TeamScoped(SQLModel):
    team_id: str = Field(max_length=32, index=True)


class CustomerFields(SQLModel):
    """The fields a user edits (the QuickBooks Online customer field set)."""

    title: str | None = _text("title")
    given_name: str | None = _text("given_name")
    middle_name: str | None = _text("middle_name")
    family_name: str | None = _text("family_name")
    suffix: str | None = _text("suffix")
    company_name: str | None = _text("company_name")
    display_name: str = Field(max_length=FIELD_MAX_LENGTHS["display_name"])
    print_on_check_name: str | None = _text("print_on_check_name")
    email: str | None = _text("email")
    phone: str | None = _text("phone")
    mobile: str | None = _text("mobile")
    fax: str | None = _text("fax")
    other_phone: str | None = _text("other_phone")
    website: str | None = _text("website")
    bill_street: str | None = _text("bill_street")
    bill_city: str | None = _text("bill_city")
    bill_state: str | None = _text("bill_state")
    bill_postal_code: str | None = _text("bill_postal_code")
    bill_country: str | None = _text("bill_country")
    ship_street: str | None = _text("ship_street")
    ship_city: str | None = _text("ship_city")
    ship_state: str | None = _text("ship_state")
    ship_postal_code: str | None = _text("ship_postal_code")
    ship_country: str | None = _text("ship_country")
    notes: str | None = _text("notes")
    payment_method: str | None = _text("payment_method")
    terms: str | None = _text("terms")
    delivery_method: DeliveryMethod = Field(
        default=DeliveryMethod.NONE, sa_type=String(8), max_length=8
    )
    tax_exempt: bool = False
    resale_number: str | None = _text("resale_number")
    opening_balance: Decimal = Field(default=Decimal("0.00"), sa_type=MONEY)
    opening_balance_date: date | None = None
    bill_with_parent: bool = False


class Customer(CustomerFields, TeamScoped, table=True):
    __table_args__ = (
        # Display names are unique per workspace among active and inactive customers, compared
        # normalised. Merged-away customers have no key (NULLs never collide) so their name is free.
        UniqueConstraint("team_id", "name_key", name="uq_customer_team_name_key"),
        Index("ix_customer_team_active_name", "team_id", "active", "name_key"),
        Index("ix_customer_team_email_key", "team_id", "email_key"),
        Index("ix_customer_team_phone_key", "team_id", "phone_key"),
        Index("ix_customer_team_core_key", "team_id", "core_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("customer.id"), index=True, nullable=True)
    )
    active: bool = True
    # Normalised keys, written by handlers.normalize on every change; never shown.
    name_key: str | None = Field(default=None, max_length=500)
    core_key: str = Field(default="", max_length=500)
    email_key: str | None = Field(default=None, max_length=100)
    phone_key: str | None = Field(default=None, max_length=30)
    search_key: str = Field(default="", max_length=2000)
    merged_into_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("customer.id"), nullable=True, index=True)
    )
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(default="", max_length=64)
    updated_by: str = Field(default="", max_length=64)


# The text index of ``customer.search_key`` for "contains" searches, added by migration 0005 outside the
# models (neither is a table or index SQLAlchemy can declare): on SQLite an FTS5 ``trigram`` table with
# ``customer`` as external content, kept by triggers through a queue of changed ids; on PostgreSQL a
# ``pg_trgm`` GIN index, left out when the server refuses the extension. Either may be missing (an old
# SQLite, a managed PostgreSQL): search then scans, slower, with the same results.
CUSTOMER_SEARCH_FTS = "customer_search"
CUSTOMER_SEARCH_PENDING = "customer_search_pending"
CUSTOMER_SEARCH_TRGM_INDEX = "ix_customer_search_trgm"


def _customer_fk() -> Any:
    return Field(sa_column=Column(Integer, ForeignKey("customer.id"), index=True, nullable=False))


class Invoice(TeamScoped, table=True):
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = _customer_fk()
    number: str = Field(max_length=21)
    date: dt.date
    due_date: dt.date | None = None
    amount: Decimal = Field(sa_type=MONEY)
    amount_paid: Decimal = Field(default=Decimal("0.00"), sa_type=MONEY)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(default="", max_length=64)


class Payment(TeamScoped, table=True):
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = _customer_fk()
    invoice_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("invoice.id"), nullable=True)
    )
    date: dt.date
    amount: Decimal = Field(sa_type=MONEY)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(default="", max_length=64)


class Project(TeamScoped, table=True):
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = _customer_fk()
    name: str = Field(max_length=100)
    status: ProjectStatus = Field(default=ProjectStatus.OPEN, sa_type=String(8), max_length=8)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(default="", max_length=64)


class RecurringTemplate(TeamScoped, table=True):
    """A recurring invoice template; it keeps its own copy of the customer's billing details."""

    __tablename__ = "recurring_template"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = _customer_fk()
    name: str = Field(max_length=100)
    interval: Interval = Field(default=Interval.MONTHLY, sa_type=String(10), max_length=10)
    next_date: date
    amount: Decimal = Field(default=Decimal("0.00"), sa_type=MONEY)
    bill_street: str | None = _text("bill_street")
    bill_city: str | None = _text("bill_city")
    bill_state: str | None = _text("bill_state")
    bill_postal_code: str | None = _text("bill_postal_code")
    bill_country: str | None = _text("bill_country")
    ship_street: str | None = _text("ship_street")
    ship_city: str | None = _text("ship_city")
    ship_state: str | None = _text("ship_state")
    ship_postal_code: str | None = _text("ship_postal_code")
    ship_country: str | None = _text("ship_country")
    email: str | None = _text("email")
    payment_method: str | None = _text("payment_method")
    terms: str | None = _text("terms")
    delivery_method: DeliveryMethod = Field(
        default=DeliveryMethod.NONE, sa_type=String(8), max_length=8
    )
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(default="", max_length=64)


class AuditEvent(TeamScoped, table=True):
    """One change: who, when, what, and the changed fields before and after."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_team_customer_at", "team_id", "customer_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("customer.id"), nullable=True)
    )
    actor: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    action: str = Field(max_length=32)
    before: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    after: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class MergeRecord(TeamScoped, table=True):
    """A merge of ``duplicate_id`` into ``kept_id``, with what is needed to undo it."""

    __tablename__ = "merge_record"

    id: int | None = Field(default=None, primary_key=True)
    duplicate_id: int = Field(sa_column=Column(Integer, ForeignKey("customer.id"), nullable=False))
    kept_id: int = Field(sa_column=Column(Integer, ForeignKey("customer.id"), nullable=False))
    actor: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # {"invoice": {id: version}, "payment": {...}, "project": {...}, "recurring_template": {...}}
    moved: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # Fields copied from the duplicate onto the kept customer: {field: [kept_before, value_written]}
    copied_fields: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    opening_balance_moved: Decimal = Field(default=Decimal("0.00"), sa_type=MONEY)
    duplicate_state: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    undone_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    undone_by: str | None = Field(default=None, max_length=64)



class ProcessedRequest(TeamScoped, table=True):
    """A request already acted on (an event id, a submitted form): retries and double clicks do nothing."""

    __tablename__ = "processed_request"
    __table_args__ = (UniqueConstraint("team_id", "key", name="uq_processed_request_team_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

# The other table modules register on the same metadata; importing db.models brings every table.
import db.imports  # noqa: E402
import db.workspace  # noqa: E402, F401
