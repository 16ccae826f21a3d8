"""Qualifications people hold (electrician, hv_dc, ...). The procedure engine lets a person into
a hazardous step only with the qualifications it needs; admins grant them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from app.api.deps import get_state, require_roles
from app.errors import InvalidInput
from app.security.qualifications import DESCRIPTIONS, Qualification
from app.security.roles import Principal, Role
from app.security.users import UserError, qualifications_of, set_qualifications
from app.state import AppState

router = APIRouter(prefix="/api", tags=["qualifications"])
UserName = Path(min_length=1, max_length=100, description="The account name.")


class QualificationInfo(BaseModel):
    name: Qualification
    description: str


class QualificationChange(BaseModel):
    add: list[Qualification] = Field(default_factory=list, max_length=20)
    remove: list[Qualification] = Field(default_factory=list, max_length=20)


class UserQualifications(BaseModel):
    user: str
    qualifications: list[Qualification]


@router.get("/qualifications", response_model=list[QualificationInfo])
def vocabulary(
    _: Principal = Depends(require_roles(Role.ADMIN, Role.CONSULTANT, Role.PARTNER, Role.EDITOR)),
) -> list[QualificationInfo]:
    """The closed list of qualifications procedures may require."""
    return [QualificationInfo(name=q, description=DESCRIPTIONS[q]) for q in Qualification]


@router.get("/users/{name}/qualifications", response_model=UserQualifications)
def held(
    name: str = UserName,
    state: AppState = Depends(get_state),
    who: Principal = Depends(require_roles(Role.ADMIN, Role.CONSULTANT, Role.PARTNER)),
) -> UserQualifications:
    """Admins and consultants see anyone's; a partner sees their own."""
    if who.role == Role.PARTNER:
        name = who.name
    names = sorted(qualifications_of(state.session_factory, name))
    return UserQualifications(user=name, qualifications=[Qualification(n) for n in names])


@router.post("/users/{name}/qualifications", response_model=UserQualifications)
async def change(
    body: QualificationChange,
    name: str = UserName,
    state: AppState = Depends(get_state),
    who: Principal = Depends(require_roles(Role.ADMIN)),
) -> UserQualifications:
    """Grant (``add``) and withdraw (``remove``) qualifications; admins only."""
    try:
        names = await run_in_threadpool(
            lambda: set_qualifications(
                state.session_factory,
                name,
                add=[q.value for q in body.add],
                remove=[q.value for q in body.remove],
                by=who.name,
            )
        )
    except UserError as error:
        raise InvalidInput(str(error)) from error
    return UserQualifications(user=name, qualifications=[Qualification(n) for n in names])
