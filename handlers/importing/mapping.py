"""Which column feeds which customer field: suggested from the headers, confirmed by the user,
remembered per workspace for files with the same header row.

Headers are compared normalised (case, accents, punctuation and spacing ignored: "ZIP/Postal Code",
"zip_postal_code" and "Zip Postal-Code" are one heading). A heading known for a field (English and
French QuickBooks/Excel headings and their usual variants, and the catalog's field labels, so an
export re-imports as it is) is taken first; otherwise the closest known heading within a distance of
0.2 (a similarity of 80 %, as Odoo does). Each field takes one column and each column one field.
An address comes as several columns (street, city, ...) or as one full-address column, which goes to
the street (multi-line) field.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from db.imports import RememberedMapping
from db.models import utcnow
from handlers.errors import InvalidInput, Problem
from handlers.fields import EDITABLE_FIELDS
from handlers.normalize import fold

PARENT = "parent"
TARGET_FIELDS: tuple[str, ...] = (*EDITABLE_FIELDS, PARENT)
FUZZY_MIN = 80            # similarity (0-100) of a header to a known heading: distance <= 0.2
NAME_SOURCES = ("display_name", "company_name", "given_name", "family_name")

# Known headings by field, strongest first (when two columns claim a field, the stronger heading wins).
ALIASES: dict[str, tuple[str, ...]] = {
    "display_name": (
        "Display Name", "Customer Display Name", "Nom d'affichage", "Nom du client", "Customer Name",
        "Customer", "Customer full name", "Client", "Nom client", "Name", "Full Name", "Nom complet",
        "Customer:Job",
    ),
    "company_name": (
        "Company", "Company Name", "Société", "Entreprise", "Raison sociale", "Organization", "Organisation",
        "Compagnie", "Business Name", "Nom de l'entreprise", "Nom de la société", "Employer",
    ),
    "title": ("Title", "Salutation", "Civilité", "Titre", "Mr./Ms./..."),
    "given_name": ("First Name", "Given Name", "Prénom", "First", "Firstname"),
    "middle_name": ("Middle Name", "Second prénom", "Deuxième prénom", "Middle"),
    "family_name": ("Last Name", "Family Name", "Surname", "Nom de famille", "Last", "Lastname"),
    "suffix": ("Suffix", "Suffixe"),
    "print_on_check_name": ("Print on check as", "Print On Check Name", "Nom sur le chèque"),
    "email": (
        "Email", "E-mail", "Email Address", "E-mail Address", "Courriel", "Adresse e-mail",
        "Adresse courriel", "Adresse électronique", "Mail", "Main Email",
    ),
    "phone": (
        "Phone", "Phone Number", "Telephone", "Téléphone", "Tél.", "Tel", "Work Phone", "Business Phone",
        "Phone #", "Numéro de téléphone", "Téléphone bureau", "Main Phone",
    ),
    "mobile": (
        "Mobile", "Mobile Phone", "Cell", "Cell Phone", "Cellulaire", "Portable", "Mobile #",
        "Téléphone mobile", "GSM",
    ),
    "fax": ("Fax", "Fax Number", "Télécopieur", "Télécopie"),
    "other_phone": ("Other Phone", "Other", "Autre téléphone", "Alt. Phone", "Alternate Phone"),
    "website": ("Website", "Web Site", "Site web", "Site internet", "URL", "Web"),
    "bill_street": (
        "Billing Street", "Billing Address", "Adresse de facturation", "Street", "Street Address", "Address",
        "Address 1", "Address Line 1", "Adresse", "Adresse 1", "Rue", "Bill Street", "Bill Address",
        "Billing Address Line 1",
    ),
    "bill_city": ("Billing City", "City", "Town", "Ville", "Municipalité", "Localité", "Bill City",
                  "Ville de facturation"),
    "bill_state": (
        "Billing State", "State/Province", "State", "Province", "Region", "Région", "State / Province",
        "Prov.", "Bill State", "Billing State/Province", "Billing Province", "État",
    ),
    "bill_postal_code": (
        "Billing ZIP", "ZIP/Postal Code", "Postal Code", "ZIP", "ZIP Code", "Postcode", "Code postal", "CP",
        "Billing Postal Code", "Billing ZIP/Postal Code", "Bill ZIP", "Code Postal de facturation",
    ),
    "bill_country": ("Billing Country", "Country", "Country/Region", "Pays", "Bill Country",
                     "Pays de facturation"),
    "ship_street": ("Shipping Street", "Shipping Address", "Ship Street", "Ship To Address",
                    "Adresse de livraison", "Ship Address", "Rue de livraison"),
    "ship_city": ("Shipping City", "Ship City", "Ville de livraison"),
    "ship_state": ("Shipping State", "Ship State", "Shipping State/Province", "Shipping Province",
                   "Province de livraison"),
    "ship_postal_code": ("Shipping ZIP", "Shipping Postal Code", "Ship ZIP", "Shipping ZIP/Postal Code",
                         "Code postal de livraison"),
    "ship_country": ("Shipping Country", "Ship Country", "Pays de livraison"),
    "notes": ("Notes", "Note", "Comments", "Comment", "Memo", "Remarques", "Remarque", "Commentaires",
              "Commentaire", "Observations"),
    "payment_method": ("Preferred payment method", "Payment Method", "Mode de paiement",
                       "Moyen de paiement"),
    "terms": ("Terms", "Payment Terms", "Conditions", "Conditions de paiement", "Modalités",
              "Modalités de paiement"),
    "delivery_method": ("Preferred delivery method", "Delivery Method", "Mode d'envoi", "Mode de livraison"),
    "tax_exempt": ("Tax Exempt", "This customer is tax exempt", "Exonéré", "Exonéré de taxes"),
    "resale_number": ("Resale Number", "Resale No", "Numéro de revente"),
    "opening_balance": ("Opening Balance", "Solde d'ouverture", "Solde initial", "Open Balance",
                        "Starting Balance", "Solde de départ", "Balance", "Solde"),
    "opening_balance_date": ("Opening Balance Date", "As of", "As of Date", "Balance Date", "Date du solde",
                             "En date du", "Date d'ouverture"),
    "bill_with_parent": ("Bill with parent", "Facturer avec le parent", "Facturer le parent"),
    PARENT: ("Sub-customer of", "Parent Customer", "Parent", "Client parent", "Sous-client de",
             "Parent:Job", "Parent Name", "Subcustomer of", "Customer parent"),
}

# "Nom" alone is a last name beside "Prénom", else the customer's name.
_AMBIGUOUS = {"nom": ("family_name", "display_name")}
_NON_WORD = re.compile(r"[\W_]+")


def normalise_header(text: Any) -> str:
    """``" ZIP/Postal_Code "`` → ``"zip postal code"``; ``"Tél."`` → ``"tel"``."""
    return _NON_WORD.sub(" ", fold(str(text or ""))).strip()


def _known() -> dict[str, tuple[str, int]]:
    """Normalised heading → (field, rank); the catalog's field labels are known headings too."""
    from handlers.messages import CATALOGS

    known: dict[str, tuple[str, int]] = {}
    for name, aliases in ALIASES.items():
        for rank, alias in enumerate(aliases):
            known.setdefault(normalise_header(alias), (name, rank))
    for catalog in CATALOGS.values():
        for name in EDITABLE_FIELDS:
            label = catalog.get(f"field.{name}")
            if label:
                known.setdefault(normalise_header(label), (name, 0))
        parent_label = catalog.get("field.parent_id")
        if parent_label:
            known.setdefault(normalise_header(parent_label), (PARENT, 0))
    return known


KNOWN = _known()


def header_score(values: Sequence[Any]) -> int:
    """How many cells of a row are known headings (the header row scores highest)."""
    return sum(1 for v in values if isinstance(v, str) and (normalise_header(v) in KNOWN
                                                             or normalise_header(v) in _AMBIGUOUS))


def header_signature(headers: Sequence[str]) -> str:
    """Identifies a header row: the same headings, normalised, in the same order."""
    return hashlib.sha256("\x1f".join(normalise_header(h) for h in headers).encode()).hexdigest()


@dataclass(frozen=True)
class MappingSuggestion:
    """``fields``: field → column index (0-based). ``remembered``: a mapping this workspace confirmed for
    files with these headers. ``guessed``: fields matched by similarity only (show them as guesses)."""

    fields: dict[str, int]
    remembered: bool = False
    update_by: str = "name"
    guessed: frozenset[str] = field(default_factory=frozenset)

    def columns(self) -> dict[int, str]:
        return {column: name for name, column in self.fields.items()}


def suggest(headers: Sequence[str]) -> MappingSuggestion:
    """The mapping suggested by the headers alone (pure)."""
    from rapidfuzz import fuzz, process

    normalised = [normalise_header(h) for h in headers]
    candidates: list[tuple[int, int, int, str]] = []  # (-score, rank, column, field)
    has_given = any(KNOWN.get(n, ("",))[0] == "given_name" for n in normalised)
    for column, name in enumerate(normalised):
        if not name:
            continue
        if name in _AMBIGUOUS:
            first, otherwise = _AMBIGUOUS[name]
            candidates.append((-100, 1, column, first if has_given else otherwise))
            continue
        if name in KNOWN:
            target, rank = KNOWN[name]
            candidates.append((-100, rank, column, target))
            continue
        match = process.extractOne(name, KNOWN.keys(), scorer=fuzz.ratio, score_cutoff=FUZZY_MIN)
        if match is not None:
            target, rank = KNOWN[match[0]]
            candidates.append((-int(match[1]), rank, column, target))
    chosen: dict[str, int] = {}
    guessed: set[str] = set()
    taken: set[int] = set()
    for score, _rank, column, target in sorted(candidates):
        if target in chosen or column in taken:
            continue
        chosen[target] = column
        taken.add(column)
        if score > -100:
            guessed.add(target)
    return MappingSuggestion(fields=chosen, guessed=frozenset(guessed))


def validate(headers: Sequence[str], fields: Mapping[str, int]) -> dict[str, int]:
    """A mapping the pipeline can use, or ``InvalidInput``: known fields only, columns that exist,
    one column per field and one field per column, and a name (display name, or a company or
    person's name to build it from, as the form does)."""
    problems: list[Problem] = []
    seen: dict[int, str] = {}
    clean: dict[str, int] = {}
    for name, column in fields.items():
        if name not in TARGET_FIELDS:
            problems.append(Problem("import_unknown_field", name, {"field": name}))
            continue
        if not isinstance(column, int) or isinstance(column, bool) or not 0 <= column < len(headers):
            problems.append(Problem("import_no_such_column", name, {"column": column}))
            continue
        if column in seen:
            problems.append(Problem("import_column_twice", name, {"column": headers[column]}))
            continue
        seen[column] = name
        clean[name] = column
    if not any(n in clean for n in NAME_SOURCES):
        problems.append(Problem("import_name_unmapped", "display_name"))
    if problems:
        raise InvalidInput(*problems)
    return clean


def suggest_for(session: Session, *, team_id: str, headers: Sequence[str]) -> MappingSuggestion:
    """The mapping to propose: the one this workspace confirmed for the same headers, else ``suggest``."""
    signature = header_signature(headers)
    stmt = select(RememberedMapping).where(
        RememberedMapping.team_id == team_id, RememberedMapping.signature == signature
    )
    remembered = session.exec(stmt).first()
    if remembered is not None:
        try:
            fields = validate(headers, {k: int(v) for k, v in remembered.mapping.items()})
        except (InvalidInput, TypeError, ValueError):
            pass
        else:
            return MappingSuggestion(fields=fields, remembered=True, update_by=remembered.update_by)
    return suggest(headers)


def remember(
    session: Session, *, team_id: str, headers: Sequence[str], fields: Mapping[str, int], actor: str,
    update_by: str = "name",
) -> None:
    """Remember a confirmed mapping for files with these headers (one per workspace and header row).
    Commits. Raises ``InvalidInput`` for a mapping ``validate`` refuses."""
    clean = validate(headers, fields)
    signature = header_signature(headers)
    for _attempt in range(2):
        stmt = select(RememberedMapping).where(
            RememberedMapping.team_id == team_id, RememberedMapping.signature == signature
        )
        row = session.exec(stmt).first()
        if row is None:
            row = RememberedMapping(team_id=team_id, signature=signature, headers=list(headers),
                                    mapping=clean, update_by=update_by, created_by=actor)
        else:
            row.mapping = clean
            row.headers = list(headers)
            row.update_by = update_by
            row.uses += 1
            row.updated_at = utcnow()
        session.add(row)
        try:
            session.commit()
            return
        except IntegrityError:  # another process remembered the same headers meanwhile
            session.rollback()
    raise RuntimeError("could not remember the mapping")
