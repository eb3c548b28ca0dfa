"""Column mapping: suggested from English and French headings, validated, remembered per workspace."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from sqlmodel import Session

from handlers.errors import InvalidInput
from handlers.exporting import headers as export_headers
from handlers.importing.mapping import PARENT, header_signature, remember, suggest, suggest_for, validate
from tests.factories import ACTOR, OTHER_TEAM, TEAM

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared" / "tools"))
gen = pytest.importorskip("gen_customers")

GEN_FIELDS = ["display_name", "company_name", "given_name", "family_name", "email", "phone", "mobile",
              "bill_street", "bill_city", "bill_state", "bill_postal_code", "bill_country", "notes",
              "opening_balance", "terms", PARENT]


@pytest.mark.parametrize("header_set", ["en", "en-alt", "fr-qc", "fr"])
def test_every_generator_header_set_maps_fully(header_set: str) -> None:
    headers = gen.make_headers(header_set, random.Random(0))
    assert suggest(headers).fields == {name: i for i, name in enumerate(GEN_FIELDS)}


def test_noisy_mixed_headers_map_fully() -> None:
    for seed in range(50):
        headers = gen.make_headers("mixed", random.Random(seed))
        assert suggest(headers).fields == {name: i for i, name in enumerate(GEN_FIELDS)}, headers


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("Display Name", "display_name"), ("Name", "display_name"), ("Raison sociale", "company_name"),
        ("Société", "company_name"), ("Prénom", "given_name"), ("Courriel", "email"), ("E-mail", "email"),
        ("Tél.", "phone"), ("Code postal", "bill_postal_code"), ("CP", "bill_postal_code"),
        ("Ville", "bill_city"), ("Pays", "bill_country"), ("Adresse de facturation", "bill_street"),
        ("Client parent", PARENT), ("Sub-customer of", PARENT), ("Solde d'ouverture", "opening_balance"),
        ("As of", "opening_balance_date"), ("Shipping City", "ship_city"),
    ],
)
def test_known_heading_suggests_its_field(heading: str, field: str) -> None:
    assert suggest([heading]).fields == {field: 0}


def test_nom_alone_is_the_customer_name() -> None:
    assert suggest(["Nom", "Courriel"]).fields == {"display_name": 0, "email": 1}


def test_nom_beside_prenom_is_the_last_name() -> None:
    assert suggest(["Prénom", "Nom", "Courriel"]).fields == {"given_name": 0, "family_name": 1, "email": 2}


def test_misspelt_heading_guessed_by_similarity() -> None:
    suggestion = suggest(["Dispaly Name", "Emial"])
    assert suggestion.fields == {"display_name": 0, "email": 1}
    assert suggestion.guessed == {"display_name", "email"}


def test_unrelated_heading_left_unmapped() -> None:
    assert suggest(["Name", "Favourite colour"]).fields == {"display_name": 0}


def test_one_column_per_field_the_stronger_heading_wins() -> None:
    assert suggest(["Balance", "Opening Balance"]).fields == {"opening_balance": 1}


def test_single_full_address_column_goes_to_the_street() -> None:
    assert suggest(["Name", "Adresse de facturation"]).fields == {"display_name": 0, "bill_street": 1}


def test_export_headers_map_back_to_their_fields() -> None:
    headers = export_headers()
    fields = suggest(headers).fields
    assert fields["display_name"] == headers.index("Display name")
    assert fields[PARENT] == headers.index("Parent customer")
    assert "opening_balance" in fields and fields["opening_balance"] == headers.index("Opening balance")


def test_mapping_without_a_name_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate(["Email", "Phone"], {"email": 0})
    assert caught.value.code == "import_name_unmapped"


def test_mapping_with_a_column_twice_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate(["Name", "Email"], {"display_name": 0, "company_name": 0})
    assert caught.value.code == "import_column_twice"


def test_mapping_to_a_missing_column_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate(["Name"], {"display_name": 0, "email": 3})
    assert caught.value.code == "import_no_such_column"


def test_company_alone_is_enough_to_build_names() -> None:
    assert validate(["Company"], {"company_name": 0}) == {"company_name": 0}


def test_signature_ignores_case_and_spacing() -> None:
    assert header_signature(["Display Name", "E-mail"]) == header_signature([" display_name ", "E mail"])


def test_confirmed_mapping_proposed_first_for_the_same_headers(session: Session) -> None:
    headers = ["Client", "Notes internes", "Mail"]
    confirmed = {"display_name": 0, "notes": 1, "email": 2}
    assert suggest_for(session, team_id=TEAM, headers=headers).fields != confirmed
    remember(session, team_id=TEAM, headers=headers, fields=confirmed, actor=ACTOR, update_by="email")
    suggestion = suggest_for(session, team_id=TEAM, headers=headers)
    assert suggestion.fields == confirmed
    assert suggestion.remembered
    assert suggestion.update_by == "email"


def test_remembered_mapping_belongs_to_its_workspace(session: Session) -> None:
    headers = ["Client", "Notes internes"]
    remember(session, team_id=TEAM, headers=headers, fields={"display_name": 0, "notes": 1}, actor=ACTOR)
    assert not suggest_for(session, team_id=OTHER_TEAM, headers=headers).remembered


def test_remembering_again_replaces_the_mapping(session: Session) -> None:
    headers = ["Client", "Note"]
    remember(session, team_id=TEAM, headers=headers, fields={"display_name": 0}, actor=ACTOR)
    remember(session, team_id=TEAM, headers=headers, fields={"display_name": 0, "notes": 1}, actor=ACTOR)
    assert suggest_for(session, team_id=TEAM, headers=headers).fields == {"display_name": 0, "notes": 1}


def test_different_headers_get_no_remembered_mapping(session: Session) -> None:
    remember(session, team_id=TEAM, headers=["Client", "Note"], fields={"display_name": 0}, actor=ACTOR)
    assert not suggest_for(session, team_id=TEAM, headers=["Client", "Note", "Ville"]).remembered
