"""Error messages in Dutch for the pages: the same answer (status, code, source, row, column) with
its words in Dutch when the request asks for Dutch, and unchanged English otherwise."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from service_helpers import Service, load_example, start_run

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bad_inputs import FILE_CASES, VALUE_CASES, BadFile
from english import english

from api import dutch

DUTCH = {"Accept-Language": "nl-NL,nl;q=0.9"}


@pytest.mark.parametrize("case", FILE_CASES + VALUE_CASES, ids=lambda c: c.id)
def test_every_bad_file_message_has_dutch_words(case: BadFile) -> None:
    """Every problem of the catalogue of bad files, as the service words it, reads as Dutch."""
    text = str(case.api_message or case.problem()["message"])
    translated = dutch.problem(text)
    assert english(translated) == [], (text, translated)


def test_an_import_error_in_dutch_keeps_its_place_and_code(service: Service) -> None:
    """A bad units file asked for in Dutch: the same status, code, file, row and column as in
    English; the message and each problem in Dutch words, the semicolon file with its hint."""
    content = b"unit_id;municipality;neighbourhood;unit_type;bedrooms;max_occupants;rent;available_from\n"
    content += b"U-1;Nijmegen;Hatert;social;1;2;450,00;2025-03-01\n"
    files = {"file": ("units.csv", content, "text/csv")}
    english_answer = service.client.post("/v1/units/import", headers=service.auth("admin"), files=files)
    dutch_answer = service.client.post("/v1/units/import", headers=service.auth("admin") | DUTCH, files=files)
    assert english_answer.status_code == dutch_answer.status_code == 422
    en, nl = english_answer.json()["error"], dutch_answer.json()["error"]
    assert en["code"] == nl["code"] == "invalid_input"
    assert [(p["source"], p["row"], p["column"]) for p in en["problems"]] == [
        (p["source"], p["row"], p["column"]) for p in nl["problems"]
    ]
    assert en["message"] == "The input has 1 problem." and nl["message"] == "De invoer heeft 1 probleem."
    assert "semicolons" in en["problems"][0]["message"]
    assert "puntkomma" in nl["problems"][0]["message"] and english(nl["problems"][0]["message"]) == []


def test_a_decision_refused_in_dutch(service: Service) -> None:
    """A decision that names who decided (the service takes that from the token) and one on a
    superseded run, asked for in Dutch, read as Dutch; the codes stay English."""
    load_example(service.client, service.auth("admin"))
    first = start_run(service.client, service.auth("wbb"))
    match = service.client.get(f"/v1/runs/{first['id']}/proposal", headers=service.auth("wbb")).json()["matches"][0]
    body = {"household_id": match["household_id"], "unit_id": match["unit_id"], "kind": "pin"}
    named = service.client.post(
        f"/v1/runs/{first['id']}/decisions", headers=service.auth("wbb") | DUTCH, json=body | {"decided_by": "JdV"}
    )
    assert named.status_code == 422
    problem = named.json()["error"]["problems"][0]["message"]
    assert problem == "niet meesturen: wie besluit, is de eigenaar van de token die het besluit stuurt"
    start_run(service.client, service.auth("wbb"))
    late = service.client.post(f"/v1/runs/{first['id']}/decisions", headers=service.auth("wbb") | DUTCH, json=body)
    assert late.status_code == 409 and late.json()["error"]["code"] == "run_superseded"
    message = late.json()["error"]["message"]
    assert message == f"Run {first['id']} is vervangen door een nieuwere run; besluit op de nieuwste run."
    assert english(message) == []


def test_messages_with_their_own_dutch_give_the_dutch() -> None:
    """A message that already carries its Dutch after the English (the login's) gives the Dutch."""
    assert dutch.message("The token is unknown or revoked. (Deze token is onbekend of ingetrokken.)") == (
        "Deze token is onbekend of ingetrokken."
    )
