"""The typed records describe exactly the columns the parser reads, defaults included."""

from helpers import household, instance, unit

from matcher.input import tables
from matcher.input.schema import Household, Unit, households_of, units_of


def test_record_fields_are_the_table_columns() -> None:
    """The JSON models and the table specifications name the same fields in the same order."""
    assert list(Household.model_fields) == [c.name for c in tables.HOUSEHOLD_COLUMNS]
    assert list(Unit.model_fields) == [c.name for c in tables.UNIT_COLUMNS]


def test_parsed_rows_validate_as_records() -> None:
    """Every parsed row, defaults filled in, is a valid record of its model."""
    inst = instance([household(vulnerabilities="mobility;lgbtiq")], [unit(unit_type="flex", shared="ja", beds=4)])
    [h] = households_of(inst)
    [u] = units_of(inst)
    assert h.vulnerabilities == ("lgbtiq", "mobility")
    assert u.temporary is True and u.beds == 4
