"""The fault-code catalogue over the API: what a code means, and vendor tables that knowledge
editors draft and publish (a published table replaces the shipped one for everyone)."""

from __future__ import annotations

from pathlib import Path as PathLib
from typing import Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app.api.deps import ANY_ROLE, get_db, get_state, require_roles
from app.errors import NotFound
from app.fault_code_tables import store
from app.fault_code_tables.store import MAX_TABLE_CHARS, TableVersion
from app.fault_codes import load_catalogue
from app.fault_codes.catalogue import Classification
from app.security.roles import Principal, Role
from app.state import AppState

router = APIRouter(prefix="/api/fault-codes", tags=["fault codes"])
EDITORS = (Role.EDITOR,)
VendorName = Path(min_length=1, max_length=100)


class VendorSummary(BaseModel):
    vendor: str
    models: list[str]
    codes: int
    source: str = Field(description="The shipped file, or the published editor's version.")
    published_version: int | None = Field(None, description="The editors' published version.")
    draft_version: int | None = Field(None, description="The newest draft, if any.")


class VendorCodeView(BaseModel):
    code: str
    fault: str
    meaning: str | None
    safety_class: str | None


class VendorTableView(BaseModel):
    vendor: str
    models: list[str]
    source: str
    codes: list[VendorCodeView]
    versions: list[TableVersion]
    yaml: str = Field(description="The text to edit: the newest version, else the shipped file.")


class TableText(BaseModel):
    yaml: str = Field(..., min_length=1, max_length=MAX_TABLE_CHARS)


class TableIssue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line: int | None
    entry: str | None
    message: str
    severity: str = "error"


class TableCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vendor: str | None = Field(description="The vendor the YAML names (None: it does not parse).")
    issues: list[TableIssue]


def _folder(state: AppState) -> Any:
    return state.catalogue_folder


@router.get("/classify")
def classify(
    state: AppState = Depends(get_state),
    _: Principal = Depends(require_roles(*ANY_ROLE)),
    ocpp_version: str | None = Query(None, max_length=10),
    error_code: str | None = Query(None, max_length=50),
    vendor_id: str | None = Query(None, max_length=255),
    vendor_error_code: str | None = Query(None, max_length=50),
    vendor: str | None = Query(None, max_length=100),
    model: str | None = Query(None, max_length=100),
    component: str | None = Query(None, max_length=50),
    variable: str | None = Query(None, max_length=50),
    tech_code: str | None = Query(None, max_length=50),
) -> Classification:
    """What the catalogue says a reported fault is (class, who is responsible, procedure)."""
    found = load_catalogue(_folder(state)).classify(
        ocpp_version=ocpp_version,
        error_code=error_code,
        vendor_id=vendor_id,
        vendor_error_code=vendor_error_code,
        vendor=vendor,
        model=model,
        component=component,
        variable=variable,
        tech_code=tech_code,
    )
    return found


@router.get("/vendors", response_model=list[VendorSummary])
def list_vendors(
    state: AppState = Depends(get_state),
    db: Session = Depends(get_db),
    _: Principal = Depends(require_roles(*ANY_ROLE)),
) -> list[VendorSummary]:
    """Every vendor table (shipped or drafted), with the editors' published version and draft."""
    catalogue = load_catalogue(_folder(state))
    edited = store.by_vendor(db)
    out = {
        key: VendorSummary(
            vendor=t.vendor, models=list(t.models), codes=len(t.codes), source=_source(t.file)
        )
        for key, t in catalogue.vendors.items()
    }
    for key, seen in edited.items():
        summary = out.get(key) or VendorSummary(
            vendor=seen.vendor, models=[], codes=0, source="none published"
        )
        out[key] = summary.model_copy(
            update={"published_version": seen.published, "draft_version": seen.draft}
        )
    return sorted(out.values(), key=lambda s: s.vendor.lower())


@router.get("/vendors/{vendor}", response_model=VendorTableView)
def vendor_table(
    vendor: str = VendorName,
    state: AppState = Depends(get_state),
    db: Session = Depends(get_db),
    _: Principal = Depends(require_roles(*ANY_ROLE)),
) -> VendorTableView:
    table = load_catalogue(_folder(state)).vendors.get(vendor.strip().lower())
    history = store.versions(db, vendor)
    if table is None and not history:
        raise NotFound(f"no fault-code table for vendor {vendor!r}")
    return VendorTableView(
        vendor=table.vendor if table else history[0].vendor,
        models=list(table.models) if table else [],
        source=_source(table.file) if table else "none published",
        codes=[
            VendorCodeView(
                code=c.code, fault=c.fault, meaning=c.meaning, safety_class=c.safety_class
            )
            for c in (table.codes.values() if table else [])
        ],
        versions=history,
        yaml=history[0].yaml_text if history else _shipped_text(table.file if table else ""),
    )


@router.post("/vendors/validate", response_model=TableCheck)
async def validate(
    body: TableText,
    state: AppState = Depends(get_state),
    _: Principal = Depends(require_roles(*EDITORS)),
) -> TableCheck:
    """Check a vendor table as a draft would be checked, with each issue's line; stores nothing."""

    def check() -> TableCheck:
        with state.session_factory() as db:
            vendor, issues = store.check(db, _folder(state), body.yaml)
        return TableCheck(
            vendor=vendor,
            issues=[TableIssue(line=i.line, entry=i.entry, message=i.message) for i in issues],
        )

    return await run_in_threadpool(check)


@router.post("/vendors", response_model=TableVersion, status_code=201)
async def save_draft(
    body: TableText,
    state: AppState = Depends(get_state),
    who: Principal = Depends(require_roles(*EDITORS)),
) -> TableVersion:
    """Save a vendor table as a new draft version (checked against the whole catalogue)."""

    def save() -> store.TableVersion:
        with state.session_factory() as db, db.begin():
            return store.save_draft(db, _folder(state), body.yaml, who.name)

    return await run_in_threadpool(save)


@router.post("/vendors/{vendor}/versions/{version}/publish", response_model=TableVersion)
async def publish(
    vendor: str = VendorName,
    version: int = Path(ge=1, le=1_000_000),
    state: AppState = Depends(get_state),
    who: Principal = Depends(require_roles(*EDITORS)),
) -> TableVersion:
    """Publish a draft: it becomes the vendor's table for classification and diagnosis."""

    def publish_and_reload() -> store.TableVersion:
        with state.session_factory() as db, db.begin():
            done = store.publish(db, vendor, version, who.name)
            store.load_current(db, _folder(state))
            return done

    done = await run_in_threadpool(publish_and_reload)
    state.live.reclassify()  # open faults are named by the new table at once
    return done


def _shipped_text(file: str) -> str:
    path = PathLib(file)
    return path.read_text(encoding="utf-8") if file and path.is_file() else ""


def _source(file: str) -> str:
    return file if file.startswith("vendor table") else f"shipped ({file.rsplit('/', 1)[-1]})"
