"""Error messages in Dutch, for the pages.

The API answers in English with English codes, so scripts and logs keep one language. A
request that asks for Dutch (``Accept-Language: nl``, as the pages send it) gets the same
answer, same status, code, source, row and column, with its ``message`` and each problem's
``message`` in Dutch. The words come from one ordered table of patterns: the messages of the
service, of the engine's file and cell checks and of the request validation. A message no
pattern knows stays as it was; the tests walk every error they provoke and the whole catalogue
of bad files (tests/bad_inputs.py) and fail on English left over.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from api.words import RUN_STATUS, STATES

ROLES = {"viewer": "kijker", "officer": "beleidsmedewerker", "wbb": "WBB", "admin": "beheerder", "corporation": "corporatie"}
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november",
          "december")  # fmt: skip
WHAT = {"input": "De invoer", "request": "Het verzoek", "scenario": "Het scenario"}
SOURCES = {"body": "invoer", "request": "verzoek", "query": "adres", "path": "adres"}
NOUNS = {
    "Household": "Huishouden",
    "Unit": "Woning",
    "Run": "Run",
    "Scenario run": "Scenario-run",
    "Token": "Token",
    "Municipality": "Gemeente",
}
EVENTS = {
    "moved_in": "verhuisd",
    "offer_refused": "aanbod geweigerd",
    "reopen": "acceptatie teruggedraaid",
    "family_arrived": "nareizigers aangekomen",
    "documents_complete": "documenten compleet",
    "documents_expected": "documenten verwacht",
    "moved_out": "vertrokken uit de vorige plek",
    "left": "uitgestroomd",
}

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def wants_dutch(accept_language: str | None) -> bool:
    """True when the first language the request names is Dutch (``nl``, ``nl-NL``)."""
    first = (accept_language or "").split(",")[0].split(";")[0].strip().lower()
    return first == "nl" or first.startswith("nl-")


def _date(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _state(code: str) -> str:
    return STATES.get(code, RUN_STATUS.get(code, code))


def _many(n: str, one: str, many: str) -> str:
    return f"{n} {one if n == '1' else many}"


def _got(text: str) -> str:
    """The end of "expected ..., got X": the refused value as it was quoted, or "iets anders"."""
    return "iets anders" if text == "something else" else ("een lege cel" if text == "an empty value" else text)


def _found(value: str | None) -> str:
    """ ", gevonden: 3" after a message that quotes the refused value, or nothing."""
    return f", gevonden: {_got(value)}" if value else ""


def _choices(text: str) -> str:
    """ "'accept', 'decline' or 'pin'" as "'accept', 'decline' of 'pin'"."""
    return re.sub(r"\bor\b", "of", text)


def _p(pattern: str, render: Callable[[re.Match[str]], str]) -> Rule:
    return re.compile(pattern, re.S), render


# Top-level messages of the service.
MESSAGES: list[Rule] = [
    _p(
        r"The (input|request|scenario) has (\d+) problems?\.",
        lambda m: f"{WHAT[m[1]]} heeft {_many(m[2], 'probleem', 'problemen')}.",
    ),
    _p(r"A decline needs a reason\.", lambda m: "Een afwijzing heeft een reden nodig."),
    _p(r"Only a decline has a reason\.", lambda m: "Alleen een afwijzing heeft een reden."),
    _p(r"Only an accept has a housing date\.", lambda m: "Alleen een acceptatie heeft een verhuisdatum."),
    _p(
        r"Run (\d+) has not finished; decisions are taken on a finished run\.",
        lambda m: f"Run {m[1]} is nog niet klaar; besluiten neemt u op een afgeronde run.",
    ),
    _p(
        r"Run (\d+) is superseded by a newer run; decide on the newest run\.",
        lambda m: f"Run {m[1]} is vervangen door een nieuwere run; besluit op de nieuwste run.",
    ),
    _p(r"This pair is not in the run's proposal\.", lambda m: "Dit paar staat niet in het voorstel van deze run."),
    _p(
        r"The household is (\w+); only a household in the pool can be decided on\.",
        lambda m: f"Dit huishouden wacht niet meer ({_state(m[1])}); alleen over een wachtend huishouden kan worden besloten.",
    ),
    _p(
        r"This pair was declined before; a declined pair stays declined\.",
        lambda m: "Dit paar is eerder afgewezen; een afgewezen paar blijft afgewezen.",
    ),
    _p(r"The unit is (\w+) already\.", lambda m: f"De woning is al {_state(m[1])}."),
    _p(r"The shared unit has too few free beds left\.", lambda m: "De gedeelde woning heeft te weinig vrije bedden."),
    _p(r"This pair is already pinned\.", lambda m: "Dit paar is al vastgezet."),
    _p(r"The household is already pinned to another unit\.", lambda m: "Het huishouden is al aan een andere woning vastgezet."),
    _p(r"The unit is already pinned to another household\.", lambda m: "De woning is al aan een ander huishouden vastgezet."),
    _p(r"Upload a \.csv or \.xlsx file; got a .*\.", lambda m: "Kies een CSV- of XLSX-bestand."),
    _p(r"The file is larger than the limit of (.+)\.", lambda m: f"Het bestand is groter dan de grens van {m[1]}."),
    _p(r"The request body is larger than the limit of (.+)\.", lambda m: f"Het verzoek is groter dan de grens van {m[1]}."),
    _p(
        r"Too many rows: (\S+) has (\d+), the limit is (\d+)\.",
        lambda m: f"Te veel rijen: {m[1]} heeft er {m[2]}, de grens is {m[3]}.",
    ),
    _p(
        r"(Household|Unit|Run|Scenario run|Token|Municipality) (.+) not found\.", lambda m: f"{NOUNS[m[1]]} {m[2]} niet gevonden."
    ),
    _p(
        r"(Household|Unit) (\S+) exists in more than one municipality; say which with \?municipality=\.",
        lambda m: f"{NOUNS[m[1]]} {m[2]} bestaat in meer dan één gemeente; zeg welke.",
    ),
    _p(r"A bearer token is required\.", lambda m: "Log eerst in met een token."),
    _p(r"The token is unknown or revoked\.", lambda m: "Deze token is onbekend of ingetrokken."),
    _p(
        r"This needs the role (\w+); the token has (\w+)\.",
        lambda m: f"Hiervoor is de rol {ROLES.get(m[1], m[1])} nodig; deze token heeft de rol {ROLES.get(m[2], m[2])}.",
    ),
    _p(r"Unit (\S+) is offered to nobody now\.", lambda m: f"Woning {m[1]} is nu aan niemand aangeboden."),
    _p(
        r"Unit (\S+) is offered to more than one household; the WBB records this on the household's case\.",
        lambda m: f"Woning {m[1]} is aan meer dan één huishouden aangeboden; de WBB legt dit vast bij het huishouden.",
    ),
    _p(r"This token speaks for no corporation\.", lambda m: "Deze token hoort bij geen corporatie."),
    _p(
        r"This needs the role (\w+) or higher; the token has (\w+)\.",
        lambda m: f"Hiervoor is de rol {ROLES.get(m[1], m[1])} of hoger nodig; deze token heeft de rol {ROLES.get(m[2], m[2])}.",
    ),
    _p(
        r"(\d+) runs are already waiting; try again when one has finished\.",
        lambda m: f"Er wachten al {m[1]} berekeningen; probeer het opnieuw als er een klaar is.",
    ),
    _p(
        r"(\d+) scenario runs are already waiting; try again when one has finished\.",
        lambda m: f"Er wachten al {m[1]} scenario-runs; probeer het opnieuw als er een klaar is.",
    ),
    _p(r"Run (\d+) has no proposal \(status (\w+)\)\.", lambda m: f"Run {m[1]} heeft geen voorstel (stand: {_state(m[2])})."),
    _p(
        r"Scenario run (\d+) has no result \(status (\w+)\)\.",
        lambda m: f"Scenario-run {m[1]} heeft geen resultaat (stand: {_state(m[2])}).",
    ),
    _p(r"Too many replicates\.", lambda m: "Te veel herhalingen."),
    _p(r"The input of this run has problems; see problems\.", lambda m: "De invoer van deze run heeft problemen:"),
    _p(r"The scenario has problems; see problems\.", lambda m: "Het scenario heeft problemen:"),
    _p(r"internal error: \w+", lambda m: "Er ging iets mis op de server; dat is vastgelegd."),
    _p(r"Compare a run with an earlier one\.", lambda m: "Vergelijk een run met een eerdere run."),
    _p(
        r"The two runs cover different pools \(municipalities\); they are not compared\.",
        lambda m: "De twee runs gaan over verschillende gemeenten; ze worden niet vergeleken.",
    ),
    _p(
        r"The two runs cover different weeks \(start date or horizon\); their end figures cannot be compared\.",
        lambda m: "De twee runs gaan over verschillende weken (startdatum of horizon); hun eindcijfers zijn niet te vergelijken.",
    ),
    _p(
        r"The change conflicts with a simultaneous change; reload and try again\.",
        lambda m: "Iemand anders wijzigde tegelijk hetzelfde; laad de pagina opnieuw en probeer het nog eens.",
    ),
    _p(r"Something went wrong on the server; it is logged\.", lambda m: "Er ging iets mis op de server; dat is vastgelegd."),
    _p(r"Request refused\.", lambda m: "Verzoek geweigerd."),
    _p(r"Not Found", lambda m: "Niet gevonden."),
    _p(r"Method Not Allowed", lambda m: "Dit kan hier niet."),
    _p(
        r"(\w+) does not fit a household that is (\w+) \(it fits: ([\w, ]+)\)(?:; (.*))?\.",
        lambda m: (
            f"'{EVENTS.get(m[1], m[1])}' past niet bij een huishouden dat {_state(m[2])} is"
            f" (het past bij: {', '.join(_state(s) for s in m[3].split(', '))})" + (f"; {problem(m[4])}" if m[4] else "") + "."
        ),
    ),
    _p(r"Unit (\S+) is not known\.", lambda m: f"Woning {m[1]} is niet bekend."),
    _p(r"(\S+) holds unit (\S+) already\.", lambda m: f"{m[1]} heeft woning {m[2]} al."),
    _p(r"(\S+) holds another offered home already\.", lambda m: f"{m[1]} heeft al een andere aangeboden woning."),
    _p(r"The shared place (\S+) has too few free beds\.", lambda m: f"De gedeelde plek {m[1]} heeft te weinig vrije bedden."),
    _p(r"Unit (\S+) is held or let already\.", lambda m: f"Woning {m[1]} is al aangeboden of verhuurd."),
    _p(r"(.+); it cannot be removed\.", lambda m: f"{problem(m[1])}; verwijderen kan niet."),
    # Messages that carry their Dutch already, after the English: "English. (Nederlands.)"
    _p(r"[^()]+?\. \(([^()]+\.)\)", lambda m: m[1]),
]

# Problems: the engine's checks of files and cells, the service's own, and request validation.
PROBLEMS: list[Rule] = [
    _p(
        r"expected the corporation's name as in units\.csv, no spaces around it, at most (\d+) characters",
        lambda m: f"verwacht de naam van de corporatie zoals in units.csv, zonder spaties eromheen, hoogstens {m[1]} tekens",
    ),
    _p(r"the file is empty; expected a header row", lambda m: "het bestand is leeg; verwacht een rij met kolomnamen"),
    _p(r"the file has a header but no rows of data", lambda m: "het bestand heeft kolomnamen maar geen rijen"),
    _p(
        r'a quoted cell that starts in this row is never closed \(a " is missing\)',
        lambda m: 'een cel tussen aanhalingstekens die in deze rij begint, wordt nergens gesloten (er ontbreekt een ")',
    ),
    _p(
        r"not valid CSV \((.+) expected after (.+)\); write \"\" for a quote inside a quoted cell",
        lambda m: f'geen geldige CSV ({m[1]} verwacht na {m[2]}); schrijf "" voor een aanhalingsteken binnen een cel',
    ),
    _p(
        r"expected (\d+) cells as in the header, got (\d+)",
        lambda m: f"verwacht {m[1]} cellen zoals in de kopregel, gevonden {m[2]}",
    ),
    _p(r"required column is missing", lambda m: "verplichte kolom ontbreekt"),
    _p(r"column appears twice in the header", lambda m: "de kolom staat twee keer in de kopregel"),
    _p(
        r"the column names must be in row 1, but they are in row (\d+); delete the rows above them",
        lambda m: f"de kolomnamen moeten in rij 1 staan, maar staan in rij {m[1]}; verwijder de rijen erboven",
    ),
    _p(r"row 1 is empty; the column names must be in row 1", lambda m: "rij 1 is leeg; de kolomnamen moeten in rij 1 staan"),
    _p(
        r"not UTF-8 text \(.*\); save the file as UTF-8 CSV",
        lambda m: (
            "geen UTF-8-tekst (misschien Latin-1 of Windows-1252, zoals oudere Excel-versies CSV opslaan); "
            "sla het bestand op als CSV UTF-8"
        ),
    ),
    _p(
        r"this is UTF-16 text \(.*\); save the file as UTF-8 CSV",
        lambda m: "dit is UTF-16-tekst (Excel: Unicode-tekst); sla het bestand op als CSV UTF-8",
    ),
    _p(
        r"this is a binary file, not CSV text; save the table as UTF-8 CSV",
        lambda m: "dit is een binair bestand, geen CSV-tekst; sla de tabel op als CSV UTF-8",
    ),
    _p(
        r"this is an Excel workbook \(or another zip file\), not CSV text; save it as CSV, or upload it as \.xlsx",
        lambda m: (
            "dit is een Excel-werkmap (of een ander zip-bestand), geen CSV-tekst; sla hem op als CSV of lees hem in als .xlsx"
        ),
    ),
    _p(
        r"this is an old Excel \.xls workbook, not CSV text; save it as CSV or \.xlsx",
        lambda m: "dit is een oude Excel-werkmap (.xls), geen CSV-tekst; sla hem op als CSV of .xlsx",
    ),
    _p(
        r"not an Excel workbook \(\.xlsx\): the file is not a zip archive; save it as \.xlsx or CSV",
        lambda m: "geen Excel-werkmap (.xlsx): het bestand is geen zip-archief; sla het op als .xlsx of CSV",
    ),
    _p(
        r"a zip archive but not an Excel workbook \(\.xlsx\); save the table as \.xlsx or CSV",
        lambda m: "een zip-archief maar geen Excel-werkmap (.xlsx); sla de tabel op als .xlsx of CSV",
    ),
    _p(
        r"this is an old Excel \.xls workbook; save it as \.xlsx or CSV",
        lambda m: "dit is een oude Excel-werkmap (.xls); sla hem op als .xlsx of CSV",
    ),
    _p(
        r"the Excel workbook is damaged and cannot be read; save it again as \.xlsx or CSV",
        lambda m: "de Excel-werkmap is beschadigd en niet te lezen; sla hem opnieuw op als .xlsx of CSV",
    ),
    _p(
        r"the workbook has no worksheet \(only charts, or nothing\); put the table in a sheet",
        lambda m: "de werkmap heeft geen werkblad (alleen grafieken, of niets); zet de tabel in een werkblad",
    ),
    _p(
        r"the first worksheet is empty; expected a header row",
        lambda m: "het eerste werkblad is leeg; verwacht een rij met kolomnamen",
    ),
    _p(
        r"the cells are separated by semicolons \(;\), as Dutch Excel saves CSV; .*",
        lambda m: (
            "de cellen zijn gescheiden door puntkomma's (;), zoals Nederlandse Excel CSV opslaat; "
            "sla het bestand op als CSV UTF-8 (door komma's gescheiden) of lees het in als .xlsx"
        ),
    ),
    _p(
        r"the file has a header alone; an upload needs at least one row",
        lambda m: "het bestand heeft alleen kolomnamen; een upload heeft minstens één rij nodig",
    ),
    _p(
        r"expected an integer from (-?\d+) to (-?\d+), got (.+)",
        lambda m: f"verwacht een geheel getal van {m[1]} tot en met {m[2]}, gevonden: {_got(m[3])}",
    ),
    _p(
        r"expected an integer >= (-?\d+), got (.+)",
        lambda m: f"verwacht een geheel getal van minstens {m[1]}, gevonden: {_got(m[2])}",
    ),
    _p(
        r"expected an amount of at most (\S+), got (.+)",
        lambda m: f"verwacht een bedrag van hoogstens {m[1]}, gevonden: {_got(m[2])}",
    ),
    _p(
        r"expected a decimal amount >= 0 \(e\.g\. (\S+)\), got (.+)",
        lambda m: f"verwacht een bedrag van 0 of meer (bijvoorbeeld {m[1]}), gevonden: {_got(m[2])}",
    ),
    _p(
        r"expected an ISO date \(YYYY-MM-DD\), got (.+)",
        lambda m: f"verwacht een datum in de vorm JJJJ-MM-DD, gevonden: {_got(m[1])}",
    ),
    _p(
        r"expected a date from (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d) \(at most a year after today\)",
        lambda m: f"verwacht een datum van {_date(m[1])} tot en met {_date(m[2])} (hoogstens een jaar na vandaag)",
    ),
    _p(
        r"expected a date from (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d), got (.+)",
        lambda m: f"verwacht een datum van {_date(m[1])} tot en met {_date(m[2])}, gevonden: {_got(m[3])}",
    ),
    _p(
        r"expected a date on or after the household's koppeling date",
        lambda m: "verwacht een datum op of na de koppelingsdatum van het huishouden",
    ),
    _p(
        r"expected a half year that starts from (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)",
        lambda m: f"verwacht een halfjaar dat begint tussen {_date(m[1])} en {_date(m[2])}",
    ),
    _p(
        r"expected true/false \(also 1/0, yes/no, ja/nee\), got (.+)",
        lambda m: f"verwacht ja of nee (ook true/false, 1/0), gevonden: {_got(m[1])}",
    ),
    _p(r"expected true or false, got (.+)", lambda m: f"verwacht ja of nee, gevonden: {_got(m[1])}"),
    _p(r"expected a ;-list from (.+), got (.+)", lambda m: f"verwacht een lijst met ; uit {m[1]}, gevonden: {_got(m[2])}"),
    _p(r"expected one of (.+), got (.+)", lambda m: f"verwacht een van {_choices(m[1])}, gevonden: {_got(m[2])}"),
    _p(r"expected a number, got (.+)", lambda m: f"verwacht een getal, gevonden: {_got(m[1])}"),
    _p(
        r'duplicate id "(.+)", first used in row (\d+)',
        lambda m: f'id "{m[1]}" komt twee keer voor, voor het eerst in rij {m[2]}',
    ),
    _p(
        r'neighbourhood "(.+)" is also used for municipality "(.+)" in row (\d+); prefix it, e\.g\. "(.+)"',
        lambda m: (
            f'wijk "{m[1]}" wordt ook gebruikt voor gemeente "{m[2]}" in rij {m[3]}; '
            f'zet er een voorvoegsel voor, bijvoorbeeld "{m[4]}"'
        ),
    ),
    _p(
        r"neighbourhood (.+) is already used for another municipality",
        lambda m: f"wijk {m[1]} wordt al gebruikt voor een andere gemeente",
    ),
    _p(
        r"expected_arrival_date \((\S+)\) lies before the koppeling_date \((\S+)\)",
        lambda m: f"expected_arrival_date ({_date(m[1])}) ligt voor de koppeling_date ({_date(m[2])})",
    ),
    _p(r'item (\d+): unknown household_id "(.+)"', lambda m: f'paar {m[1]}: huishouden "{m[2]}" staat niet (meer) in de pool'),
    _p(r'item (\d+): unknown unit_id "(.+)"', lambda m: f'paar {m[1]}: woning "{m[2]}" staat niet (meer) in het aanbod'),
    _p(
        r"item (\d+) \[(\S+), (\S+)\]: the pair is also in excluded_pairs \(E9\) and cannot be fixed",
        lambda m: f"paar {m[1]} ({m[2]} naar {m[3]}): het paar is ook uitgesloten (E9) en kan niet vastgezet worden",
    ),
    _p(
        r"item (\d+) \[(\S+), (\S+)\]: the pair breaks rule (\w+) and cannot be fixed",
        lambda m: f"paar {m[1]} ({m[2]} naar {m[3]}): het paar breekt regel {m[4]} en kan niet vastgezet worden",
    ),
    _p(
        r"item (\d+) \[(\S+), (\S+)\]: household (\S+) is already fixed in item (\d+) \(A1\)",
        lambda m: f"paar {m[1]} ({m[2]} naar {m[3]}): huishouden {m[4]} is al vastgezet in paar {m[5]} (A1)",
    ),
    _p(
        r"item (\d+) \[(\S+), (\S+)\]: unit (\S+) is already fixed to another household in item (\d+) \(A2\)",
        lambda m: (
            f"paar {m[1]} ({m[2]} naar {m[3]}): woning {m[4]} is al vastgezet voor een ander huishouden in paar {m[5]} (A2)"
        ),
    ),
    _p(
        r"item (\d+) \[(\S+), (\S+)\]: shared unit (\S+) would hold (\d+) persons in (\d+) beds? \(A3\)",
        lambda m: f"paar {m[1]} ({m[2]} naar {m[3]}): gedeelde woning {m[4]} zou {m[5]} personen krijgen in {m[6]} bedden (A3)",
    ),
    _p(r"the body is not valid JSON", lambda m: "de invoer is geen geldige JSON"),
    _p(
        r"NaN and Infinity are not JSON numbers; leave the field out for its default",
        lambda m: "NaN en Infinity zijn geen getallen; laat het veld weg voor de standaardwaarde",
    ),
    _p(
        r"mode replace needs at least one row; with none it would remove every (.+)",
        lambda m: "vervangen heeft minstens één rij nodig; zonder rijen zou alles worden verwijderd",
    ),
    _p(
        r"the municipality is part of the id and cannot be changed; .*",
        lambda m: "de gemeente hoort bij het id en verandert niet; verwijder de rij en lees hem in voor de andere gemeente",
    ),
    _p(
        r"not sent: the person who decides is the owner of the token that sends the decision",
        lambda m: "niet meesturen: wie besluit, is de eigenaar van de token die het besluit stuurt",
    ),
    _p(
        r"this field is set by the service and cannot be sent",
        lambda m: "dit veld vult de dienst zelf; het kan niet worden meegestuurd",
    ),
    _p(
        r"unknown field \(a typo would silently change the scenario\)",
        lambda m: "onbekend veld (een tikfout zou het scenario ongemerkt veranderen)",
    ),
    _p(
        r"a scenario sent to the service is complete: .*",
        lambda m: "een scenario aan de dienst is compleet: stuur de velden zelf, niet de naam van een basisbestand",
    ),
    _p(r"replicates must be at least 1", lambda m: "er is minstens één herhaling nodig"),
    _p(r"at most (\d+)", lambda m: f"hoogstens {m[1]}"),
    _p(r"send a households file, a units file, or both", lambda m: "kies een bestand met huishoudens, met woningen, of allebei"),
    _p(r"the service reads no files: .*", lambda m: "de dienst leest geen bestanden: gebruik start.profile voor de beginstand"),
    _p(r"lies before the koppeling \((\S+)\)", lambda m: f"ligt voor de koppeling ({_date(m[1])})"),
    _p(
        r"lies before the household became (\w+) \((\S+)\)",
        lambda m: f"ligt voor de dag waarop het huishouden {_state(m[1])} werd ({_date(m[2])})",
    ),
    _p(r"only for a move into a temporary place", lambda m: "alleen bij een verhuizing naar een tijdelijke plek"),
    _p(
        r"required: the place has no stay limit to take it from",
        lambda m: "verplicht: de plek heeft geen maximale verblijfsduur om hem uit af te leiden",
    ),
    _p(r"must lie after the date of the move", lambda m: "moet na de verhuisdatum liggen"),
    _p(r"the number who arrived cannot be negative", lambda m: "het aantal aangekomen personen kan niet negatief zijn"),
    _p(r"(\w+): (.+)", lambda m: f"{m[1]}: {problem(m[2])}" if m[1].isidentifier() and problem(m[2]) != m[2] else m[0]),
    # Request validation (pydantic).
    _p(r"Field required", lambda m: "ontbreekt (verplicht)"),
    _p(r"String should have at least (\d+) characters?", lambda m: f"vul minstens {_many(m[1], 'teken', 'tekens')} in"),
    _p(r"String should have at most (\d+) characters?", lambda m: f"hoogstens {_many(m[1], 'teken', 'tekens')}"),
    _p(r"String should match pattern .*", lambda m: "heeft niet de verwachte vorm"),
    _p(
        r"Input should be less than or equal to ([^,\s]+)(?:, got (.+))?", lambda m: f"moet {m[1]} of kleiner zijn" + _found(m[2])
    ),
    _p(
        r"Input should be greater than or equal to ([^,\s]+)(?:, got (.+))?",
        lambda m: f"moet {m[1]} of groter zijn" + _found(m[2]),
    ),
    _p(r"Input should be less than ([^,\s]+)(?:, got (.+))?", lambda m: f"moet kleiner zijn dan {m[1]}" + _found(m[2])),
    _p(r"Input should be greater than ([^,\s]+)(?:, got (.+))?", lambda m: f"moet groter zijn dan {m[1]}" + _found(m[2])),
    _p(r"Input should be a valid integer.*", lambda m: "moet een geheel getal zijn"),
    _p(r"Input should be a valid number.*", lambda m: "moet een getal zijn"),
    _p(r"Input should be a valid date.*", lambda m: "moet een datum zijn"),
    _p(r"Input should be a valid boolean.*", lambda m: "moet ja of nee zijn"),
    _p(r"Input should be a valid string", lambda m: "moet tekst zijn"),
    _p(r"Input should be a valid (list|array)", lambda m: "moet een lijst zijn"),
    _p(r"Input should be a valid dictionary.*", lambda m: "moet een object zijn"),
    _p(r"Input should be (.+?)(?:, got (.+))?", lambda m: f"moet een van deze zijn: {_choices(m[1])}" + _found(m[2])),
    _p(r"Extra inputs are not permitted", lambda m: "dit veld hoort hier niet"),
    _p(r"Value error, (.+)", lambda m: problem(m[1])),
    _p(r"List should have at least (\d+) items?.*", lambda m: f"minstens {m[1]} nodig"),
]


def _translate(rules: list[Rule], text: str) -> str:
    for pattern, render in rules:
        match = pattern.fullmatch(text)
        if match is not None:
            return render(match)
    return text


def message(text: str) -> str:
    """A top-level error message in Dutch (or as it was, when no pattern knows it)."""
    translated = _translate(MESSAGES, text)
    return translated if translated != text else _translate(PROBLEMS, text)


def problem(text: str) -> str:
    """One problem's message in Dutch (or as it was, when no pattern knows it)."""
    return _translate(PROBLEMS, text)


def source(text: str) -> str:
    """A problem's source: a file name stays, the parts of a request get Dutch names."""
    return SOURCES.get(text, text)
