"""Draft, publish and list versions of vendor fault-code tables.

A draft is checked against the whole catalogue before it is stored (a code naming an unknown
fault, a duplicate code ... is refused with file:line entry). Publishing makes it the
vendor's table for everyone: the cached catalogue is rebuilt with every published table, so
the fleet's fault classification, diagnosis and the safety interlock all read the same one.
A saved version's status is the action's (save = draft), never what its text says.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.models import FaultCodeTableVersion
from app.errors import Conflict, InvalidInput, NotFound
from app.fault_codes import CatalogueError, FaultCatalogue, load_catalogue
from app.fault_codes.catalogue import check_vendor_text, vendor_name_of
from app.fault_codes.loader import Issue

MAX_TABLE_CHARS = 256 * 1024


class TableVersion(BaseModel):
    """One version of a vendor's table, as the API shows it."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    vendor: str
    version: int
    status: str
    created_by: str
    created_at: datetime
    published_by: str | None
    published_at: datetime | None
    yaml_text: str

    @classmethod
    def of(cls, row: FaultCodeTableVersion) -> TableVersion:
        return cls.model_validate(row)


def _label(vendor: str, version: int | str) -> str:
    return f"vendor table {vendor!r} v{version}"


def published_texts(db: Session) -> dict[str, str]:
    """label -> YAML of every vendor's published version (what the catalogue loads)."""
    rows = db.scalars(
        select(FaultCodeTableVersion).where(FaultCodeTableVersion.status == "published")
    )
    return {_label(r.vendor, r.version): r.yaml_text for r in rows}


def load_current(db: Session, folder: Path | str | None) -> FaultCatalogue:
    """The shipped catalogue with the published tables in place (rebuilds the cache)."""
    return load_catalogue(folder, vendor_texts=published_texts(db))


def _next_version(db: Session, key: str) -> int:
    latest = db.scalar(
        select(func.max(FaultCodeTableVersion.version)).where(
            FaultCodeTableVersion.vendor_key == key
        )
    )
    return (latest or 0) + 1


def check(db: Session, folder: Path | str | None, text: str) -> tuple[str | None, list[Issue]]:
    """The vendor a table names and its issues (file:line entry) beside the rest of the
    catalogue and the other vendors' published tables; nothing is stored."""
    if len(text) > MAX_TABLE_CHARS:
        raise InvalidInput(f"table of {len(text)} characters; the limit is {MAX_TABLE_CHARS}")
    try:
        vendor = vendor_name_of(text, "vendor table (draft)")
    except CatalogueError as error:
        return None, list(error.issues)
    key = vendor.strip().lower()
    others = {
        label: body
        for label, body in published_texts(db).items()
        if vendor_name_of(body, label).strip().lower() != key
    }
    label = _label(vendor, _next_version(db, key))
    return vendor, check_vendor_text(folder, label, text, others)


def save_draft(db: Session, folder: Path | str | None, text: str, who: str) -> TableVersion:
    vendor, issues = check(db, folder, text)
    if vendor is None or issues:
        raise InvalidInput(
            "the table does not fit the catalogue:\n" + "\n".join(map(str, issues)),
            detail={"issues": [str(i) for i in issues]},
        )
    key = vendor.strip().lower()
    version = _next_version(db, key)
    row = FaultCodeTableVersion(
        vendor_key=key,
        vendor=vendor.strip(),
        version=version,
        status="draft",
        yaml_text=text,
        created_by=who,
        created_at=utcnow(),
    )
    db.add(row)
    db.flush()
    return TableVersion.of(row)


def publish(db: Session, vendor: str, version: int, who: str) -> TableVersion:
    key = vendor.strip().lower()
    row = db.scalar(
        select(FaultCodeTableVersion).where(
            FaultCodeTableVersion.vendor_key == key, FaultCodeTableVersion.version == version
        )
    )
    if row is None:
        raise NotFound(f"no version {version} of the {vendor} fault-code table")
    if row.status != "draft":
        raise Conflict(f"version {version} of {row.vendor} is {row.status}, not a draft")
    for old in db.scalars(
        select(FaultCodeTableVersion).where(
            FaultCodeTableVersion.vendor_key == key, FaultCodeTableVersion.status == "published"
        )
    ):
        old.status = "retired"
    row.status = "published"
    row.published_by = who
    row.published_at = utcnow()
    db.flush()
    return TableVersion.of(row)


def versions(db: Session, vendor: str) -> list[TableVersion]:
    rows = db.scalars(
        select(FaultCodeTableVersion)
        .where(FaultCodeTableVersion.vendor_key == vendor.strip().lower())
        .order_by(FaultCodeTableVersion.version.desc())
    )
    return [TableVersion.of(r) for r in rows]


class VendorVersions(BaseModel):
    """A vendor's published version and newest draft, if it has them."""

    vendor: str
    published: int | None = None
    draft: int | None = None


def by_vendor(db: Session) -> dict[str, VendorVersions]:
    """vendor key -> its published version and newest draft (every vendor with a version)."""
    out: dict[str, VendorVersions] = {}
    for row in db.execute(
        select(
            FaultCodeTableVersion.vendor_key,
            FaultCodeTableVersion.vendor,
            FaultCodeTableVersion.version,
            FaultCodeTableVersion.status,
        ).order_by(FaultCodeTableVersion.version)
    ):
        seen = out.setdefault(row.vendor_key, VendorVersions(vendor=row.vendor))
        if row.status == "published":
            seen = seen.model_copy(update={"published": row.version})
        elif row.status == "draft":
            seen = seen.model_copy(update={"draft": row.version})
        out[row.vendor_key] = seen.model_copy(update={"vendor": row.vendor})
    return out
