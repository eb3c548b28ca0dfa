from decimal import Decimal

from handlers import customers, merge
from tests.factories import ACTOR, TEAM, chain, customer, invoice, payment


def test_add_edit_merge_undo_roundtrip(session):
    a = customer(session, "ACME Corp.", email="billing@acme.test")
    b = customer(session, "Acme Corporation")
    invoice(session, b, "120.00")
    payment(session, b, "20.00")
    dups = customers.possible_duplicates(session, team_id=TEAM, fields={"display_name": "acme corp"})
    assert {m.customer.id for m in dups} == {a.id, b.id}
    result = merge.merge(session, team_id=TEAM, duplicate_id=b.id, kept_id=a.id, actor=ACTOR)
    assert customers.balance(session, team_id=TEAM, customer_id=a.id) == Decimal("100.00")
    merge.undo(session, team_id=TEAM, merge_id=result.record.id, actor=ACTOR)
    assert customers.balance(session, team_id=TEAM, customer_id=b.id) == Decimal("100.00")
    _top, _child, grandchild = chain(session, "Top", "Child", "Grand")
    from handlers import hierarchy
    assert hierarchy.fully_qualified_name(session, grandchild) == "Top:Child:Grand"
