"""Settings per municipality: whether nareizigers count for the taakstelling."""

from __future__ import annotations

from fastapi import APIRouter

from api import audit
from api.audit_access import field_changes
from api.cases import count_family_arrivals
from api.deps import ReadSessionDep, SessionDep, Viewer, Wbb
from api.errors import not_found, responses
from api.models import MunicipalitySetting, utcnow
from api.schemas import MunicipalitySettings, MunicipalitySettingsPublic

router = APIRouter(prefix="/v1/municipalities", tags=["taakstelling"])


@router.get("/{municipality}/settings", summary="The settings of a municipality", responses=responses(401, 403, 404))
def get_settings(municipality: str, caller: Viewer, session: ReadSessionDep) -> MunicipalitySettingsPublic:
    if not caller.sees(municipality):
        raise not_found(f"Municipality {municipality}")
    counted = count_family_arrivals(session, municipality)
    return MunicipalitySettingsPublic(municipality=municipality, count_family_arrivals=counted)


@router.put("/{municipality}/settings", summary="Change the settings of a municipality", responses=responses(401, 403, 404, 422))
def set_settings(municipality: str, body: MunicipalitySettings, caller: Wbb, session: SessionDep) -> MunicipalitySettingsPublic:
    """``count_family_arrivals`` (default true): family members who join a household that
    lives in the municipality count for its taakstelling on the day they arrive. The setting
    applies to arrivals recorded from now on; arrivals recorded before keep what they counted."""
    if not caller.sees(municipality):
        raise not_found(f"Municipality {municipality}")
    setting = session.get(MunicipalitySetting, municipality)
    before = {"count_family_arrivals": count_family_arrivals(session, municipality)}
    if setting is None:
        setting = MunicipalitySetting(municipality=municipality, updated_by=caller.token_id)
        session.add(setting)
    setting.count_family_arrivals, setting.updated_by, setting.updated_at = body.count_family_arrivals, caller.token_id, utcnow()
    session.flush()
    details = field_changes(before, {"count_family_arrivals": setting.count_family_arrivals})
    audit.record_by(session, caller, "municipality.settings", "municipality", [municipality], details=details)
    return MunicipalitySettingsPublic(municipality=municipality, count_family_arrivals=setting.count_family_arrivals)
