"""The pool read in as a whole: this week's households and units files together, all or nothing.

The lists of a week belong together: a households file stored while its units file is refused
leaves a pool that matches neither last week nor this week. Here both files are checked before
either is stored; with ``dry_run`` the answer says what would change (in replace mode: how many
waiting households and available units would leave the pool) and nothing is kept.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel, Field

from api.deps import Admin, SessionDep, SettingsDep
from api.errors import ApiError, Problem, responses
from api.pool_routes import import_pool
from api.schemas import ImportMode, ImportResult

router = APIRouter(prefix="/v1/pool", tags=["households", "units"])


class PoolImportResult(BaseModel):
    """What the import stored (or, with dry_run, would store) per file."""

    households: ImportResult | None = Field(None, description="the households file, when one was sent")
    units: ImportResult | None = Field(None, description="the units file, when one was sent")
    dry_run: bool = Field(description="true: checked and counted only, nothing stored")


@router.post(
    "/import",
    summary="Import households and units files together (all or nothing)",
    responses=responses(401, 403, 413, 415, 422),
)
def import_both(
    caller: Admin,
    session: SessionDep,
    settings: SettingsDep,
    households: Annotated[UploadFile | None, File(description="households.csv or .xlsx")] = None,
    units: Annotated[UploadFile | None, File(description="units.csv or .xlsx")] = None,
    mode: Annotated[
        ImportMode,
        Query(description="upsert: add and update; replace: also remove waiting households and available units not listed"),
    ] = "upsert",
    dry_run: Annotated[bool, Query(description="check and count only; nothing is stored")] = False,
) -> PoolImportResult:
    """Both files are read and checked before either is stored; one problem in either file
    refuses both, and the answer (422) lists every problem of both files."""
    uploads = {kind: file for kind, file in (("households", households), ("units", units)) if file is not None}
    if not uploads:
        message = "send a households file, a units file, or both"
        raise ApiError(422, "The request has 1 problem.", problems=[Problem(source="body", column="households", message=message)])
    results = import_pool(session, caller, settings, uploads, mode, dry_run)
    return PoolImportResult(households=results.get("households"), units=results.get("units"), dry_run=dry_run)
