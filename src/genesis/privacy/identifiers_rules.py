"""Rule tables of the HIPAA Safe Harbor identifier scan: categories, column-name rules, attestations.

The 18 identifier types are those of 45 CFR 164.514(b)(2)(i)(A)-(R), which must be
removed "of the individual or of relatives, employers, or household members of the
individual". This module holds only data and the column-name matcher; the value
checks live in `identifiers_patterns` and `identifiers_checks`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

SAFE_HARBOR_CATEGORIES: dict[str, str] = {
    "A": "names",
    "B": "geographic subdivisions smaller than a state",
    "C": "dates (except year) and ages over 89",
    "D": "telephone numbers",
    "E": "fax numbers",
    "F": "email addresses",
    "G": "social security numbers",
    "H": "medical record numbers",
    "I": "health plan beneficiary numbers",
    "J": "account numbers",
    "K": "certificate/license numbers",
    "L": "vehicle identifiers and serial numbers, including license plate numbers",
    "M": "device identifiers and serial numbers",
    "N": "web universal resource locators (URLs)",
    "O": "internet protocol (IP) address numbers",
    "P": "biometric identifiers, including finger and voice prints",
    "Q": "full-face photographs and comparable images",
    "R": "any other unique identifying number, characteristic, or code",
}
"""Safe Harbor category letter to its name, worded after 45 CFR 164.514(b)(2)(i)(A)-(R)."""

DIRECT_IDENTIFIER = "direct identifier"
QUASI_IDENTIFIER = "quasi-identifier needing generalization"

RESTRICTED_ZIP3_PREFIXES: frozenset[str] = frozenset({
    "036", "059", "063", "102", "203", "556", "692", "790", "821",
    "823", "830", "831", "878", "879", "884", "890", "893",
})
"""3-digit ZIP prefixes whose area held 20,000 or fewer people in the 2000 Census.

45 CFR 164.514(b)(2)(i)(B) keeps the first three ZIP digits only where the area formed
by all ZIP codes sharing them has more than 20,000 people, and requires 000 otherwise.
HHS de-identification guidance lists these 17 prefixes from the 2000 Census.
"""


def citation(letter: str) -> str:
    """Return the paragraph of the Safe Harbor rule that names category `letter`."""
    return f"45 CFR 164.514(b)(2)(i)({letter})"


COLUMN_NAME = "column name"
VALUE_PATTERN = "value pattern"


@dataclass(frozen=True)
class Evidence:
    """One reason to flag a column, from a name rule or a value check, before a column's reasons merge."""

    category: str
    kind: str
    """`COLUMN_NAME` or `VALUE_PATTERN`."""
    role: str
    description: str
    key: str
    """The name rule or value pattern that produced the evidence."""
    rate: float | None = None
    """Share of the checked values that match; None for name evidence."""
    example: str | None = None
    """A masked matching value, never the value itself."""


@dataclass(frozen=True)
class NameRule:
    """Column-name words that point to one kind of identifier."""

    key: str
    """Short name of the rule; value checks that need a matching name refer to it."""
    category: str
    role: str
    words: tuple[str, ...]
    """Name words with the separators removed, so "first_name", "FirstName" and "firstname" all match."""
    excluded_by: frozenset[str] = frozenset()
    """Extra tokens that mean the column describes something else (e.g. "drug_name")."""


NOT_AN_IDENTIFIER_TOKENS = frozenset({
    "has", "is", "flag", "count", "cnt", "type", "types", "status", "verified", "valid", "validated",
    "opt", "optin", "optout", "consent", "consented", "indicator", "ind", "provided", "available",
    "missing", "present", "category", "kind", "format", "length", "len", "domain", "balance", "amount",
    "total", "cost", "charge", "charges", "price", "fee", "payment", "paid", "score",
})
"""Tokens that turn an identifier word into a description of it, as in "email_verified" or "phone_type".

They cancel only name evidence: the values of such a column are still checked.
"""

_NOT_A_PERSON_TOKENS = frozenset({
    "drug", "medication", "med", "meds", "medicine", "product", "file", "test", "lab", "procedure",
    "diagnosis", "condition", "disease", "facility", "hospital", "clinic", "department", "dept", "ward",
    "unit", "brand", "generic", "item", "variable", "field", "column", "feature", "plan", "payer",
    "insurer", "insurance", "city", "county", "state", "country", "region", "street", "town", "place",
    "species", "organism", "gene", "specimen", "device", "host", "domain", "user",
})

NAME_RULES: tuple[NameRule, ...] = (
    NameRule("person_name", "A", DIRECT_IDENTIFIER,
             ("name", "names", "firstname", "lastname", "surname", "givenname", "familyname", "fullname",
              "middlename", "maidenname", "forename", "nickname", "initials", "nextofkin"),
             _NOT_A_PERSON_TOKENS),
    NameRule("street", "B", DIRECT_IDENTIFIER,
             ("address", "addr", "streetaddress", "street", "streetname", "addressline", "homeaddress",
              "mailingaddress")),
    NameRule("coordinates", "B", DIRECT_IDENTIFIER,
             ("latitude", "longitude", "lat", "lng", "lon", "geohash", "latlong", "latlon", "geolocation")),
    NameRule("zip", "B", QUASI_IDENTIFIER,
             ("zip", "zipcode", "zip5", "zip3", "zip9", "postal", "postalcode", "postcode", "zipcodes")),
    NameRule("geo_area", "B", QUASI_IDENTIFIER,
             ("city", "town", "county", "precinct", "geocode", "censustract", "tract", "blockgroup",
              "censusblock", "neighbourhood", "neighborhood", "borough", "municipality", "district",
              "fips", "countyfips", "village", "suburb")),
    NameRule("date", "C", QUASI_IDENTIFIER,
             ("date", "dates", "dt", "datetime", "timestamp", "dob", "dod", "birthdate", "birthday",
              "dateofbirth", "dateofdeath", "deathdate", "admittime", "dischtime", "deathtime",
              "admissiontime", "dischargetime", "birthtime")),
    NameRule("date_element", "C", QUASI_IDENTIFIER,
             ("birthmonth", "monthofbirth", "dobmonth", "deathmonth", "monthofdeath", "dayofdeath",
              "admissionmonth", "admitmonth", "dischargemonth", "birthdayofmonth",
              "modth", "dadth")),  # month and day of death in the NHANES I follow-up (NHEFS)
    NameRule("phone", "D", DIRECT_IDENTIFIER,
             ("phone", "phones", "telephone", "tel", "phonenumber", "phoneno", "cellphone", "mobilephone",
              "mobilenumber", "cellnumber", "contactnumber", "homephone", "workphone")),
    NameRule("fax", "E", DIRECT_IDENTIFIER, ("fax", "faxnumber", "faxno", "facsimile")),
    NameRule("email", "F", DIRECT_IDENTIFIER, ("email", "emails", "emailaddress", "mailaddress")),
    NameRule("ssn", "G", DIRECT_IDENTIFIER,
             ("ssn", "socialsecurity", "socialsecuritynumber", "socialsecurityno", "socsec", "socsecno")),
    NameRule("mrn", "H", DIRECT_IDENTIFIER,
             ("mrn", "medicalrecord", "medicalrecordnumber", "medicalrecordno", "medrec", "medrecno",
              "chartnumber", "chartno", "patientid", "patientnumber", "patientnbr", "patientno",
              "patientnum", "hospitalnumber")),
    NameRule("beneficiary", "I", DIRECT_IDENTIFIER,
             ("beneficiary", "beneficiaryid", "beneficiarynumber", "memberid", "membernumber", "memberno",
              "subscriberid", "subscribernumber", "policynumber", "policyno", "policyid", "healthplanid",
              "healthplannumber", "hicn", "mbi", "medicareid", "medicarenumber", "medicaidid",
              "medicaidnumber", "insuranceid", "insurancenumber")),
    NameRule("account", "J", DIRECT_IDENTIFIER,
             ("account", "accountnumber", "accountno", "accountid", "acct", "acctno", "acctnum",
              "acctnumber", "bankaccount", "iban", "creditcard", "cardnumber", "creditcardnumber")),
    NameRule("license", "K", DIRECT_IDENTIFIER,
             ("license", "licence", "licensenumber", "licenceno", "licenseno", "licenseid",
              "licencenumber", "certificate", "certificatenumber", "certno", "certificateid",
              "driverslicense", "driverlicense", "driverslicence", "passport", "passportnumber")),
    NameRule("vehicle", "L", DIRECT_IDENTIFIER,
             ("vin", "vehicleid", "vehiclenumber", "vehicleidentificationnumber", "vehicleserial",
              "licenseplate", "licenceplate", "platenumber", "numberplate", "registrationplate")),
    NameRule("device", "M", DIRECT_IDENTIFIER,
             ("deviceid", "devicenumber", "deviceserial", "deviceserialnumber", "serial", "serialnumber",
              "serialno", "imei", "meid", "macaddress", "macaddr", "udi", "udid", "deviceidentifier")),
    NameRule("url", "N", DIRECT_IDENTIFIER,
             ("url", "urls", "uri", "website", "webaddress", "homepage", "weburl", "webpage")),
    NameRule("ip", "O", DIRECT_IDENTIFIER, ("ip", "ipaddress", "ipaddr", "ipv4", "ipv6")),
    NameRule("biometric", "P", DIRECT_IDENTIFIER,
             ("biometric", "biometrics", "fingerprint", "fingerprints", "voiceprint", "retinascan",
              "irisscan", "faceprint", "palmprint")),
    NameRule("photo", "Q", DIRECT_IDENTIFIER,
             ("photo", "photos", "photograph", "picture", "image", "images", "headshot", "portrait",
              "facephoto", "selfie", "mugshot")),
)

_RULE_BY_WORD = {word: rule for rule in NAME_RULES for word in rule.words}
_MAX_WORD_TOKENS = 5

AGE_WORDS = frozenset({"age", "ages"})
_AGE_UNITS_PER_YEAR = {
    "month": 12.0, "months": 12.0, "mo": 12.0, "mos": 12.0,
    "week": 52.1775, "weeks": 52.1775, "wk": 52.1775, "wks": 52.1775,
    "day": 365.25, "days": 365.25,
}
BIRTH_YEAR_WORDS = frozenset({"yob", "birthyear", "yearofbirth", "birthyr", "byear"})
ID_TOKENS = frozenset({
    "id", "ids", "nbr", "num", "no", "number", "key", "uuid", "guid", "identifier", "seq", "seqn",
    "sequence",
})
MEASUREMENT_TOKENS = frozenset({
    "cost", "costs", "amount", "price", "charge", "charges", "weight", "height", "income", "salary",
    "wage", "pay", "payment", "total", "sum", "balance", "fee", "count", "score", "value", "volume",
    "dose", "duration", "length", "time", "rate", "level", "bmi", "pressure", "hours", "minutes",
})
"""Tokens of measurement columns: an all-distinct integer column named like this is not an ID."""

_NAME_BOUNDARY = re.compile(
    r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])"
)
_NAME_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")


@dataclass(frozen=True)
class NameMatch:
    """One name rule found in a column name, with the tokens it spans."""

    rule: NameRule
    start: int
    stop: int
    text: str


def name_tokens(name: object) -> tuple[str, ...]:
    """Split a column name into lower-case tokens at separators, camelCase and letter-digit boundaries.

    "PatientDOB", "patient_dob" and "Patient DOB" all give ("patient", "dob").
    """
    spaced = _NAME_BOUNDARY.sub(" ", str(name))
    return tuple(token.lower() for token in _NAME_SEPARATORS.split(spaced) if token)


def match_name_rules(tokens: tuple[str, ...]) -> list[NameMatch]:
    """Find the name rules in `tokens`, keeping the longest match where matches nest.

    A window of consecutive tokens matches a rule when the tokens, joined without
    separators, equal one of the rule's words. Nested matches give way to the longer
    one, so "email_address" is an email (F) and not a street address (B).
    """
    matches = []
    for start in range(len(tokens)):
        for stop in range(start + 1, min(len(tokens), start + _MAX_WORD_TOKENS) + 1):
            rule = _RULE_BY_WORD.get("".join(tokens[start:stop]))
            if rule is not None:
                matches.append(NameMatch(rule, start, stop, " ".join(tokens[start:stop])))

    outermost = [m for m in matches if not any(_nests_in(m, other) for other in matches)]
    return [m for m in outermost if not _described_by_context(m, tokens)]


def has_age_name(tokens: tuple[str, ...]) -> bool:
    """Return whether a column name marks the column as ages ("age", "patient_age", "AgeYears")."""
    return not AGE_WORDS.isdisjoint(tokens)


def age_units_per_year(tokens: tuple[str, ...]) -> float:
    """Return how many of the column's age units make one year (12 for "age_months", 1 by default)."""
    for token in tokens:
        if token in _AGE_UNITS_PER_YEAR:
            return _AGE_UNITS_PER_YEAR[token]
    return 1.0


def has_birth_year_name(tokens: tuple[str, ...]) -> bool:
    """Return whether a column name marks the column as years of birth ("yob", "birth_year")."""
    return any(_joined_windows_in(tokens, BIRTH_YEAR_WORDS))


def has_any_token(tokens: Iterable[str], vocabulary: frozenset[str]) -> bool:
    return not vocabulary.isdisjoint(tokens)


def _nests_in(match: NameMatch, other: NameMatch) -> bool:
    longer = (other.stop - other.start) > (match.stop - match.start)
    return longer and other.start <= match.start and match.stop <= other.stop


def _described_by_context(match: NameMatch, tokens: tuple[str, ...]) -> bool:
    """Return whether tokens outside the match mark a column about the identifier, not containing it."""
    context = tokens[: match.start] + tokens[match.stop:]
    return has_any_token(context, NOT_AN_IDENTIFIER_TOKENS | match.rule.excluded_by)


def _joined_windows_in(tokens: tuple[str, ...], words: frozenset[str]) -> Iterable[bool]:
    for start in range(len(tokens)):
        for stop in range(start + 1, min(len(tokens), start + _MAX_WORD_TOKENS) + 1):
            yield "".join(tokens[start:stop]) in words


@dataclass(frozen=True)
class AttestationItem:
    """A Safe Harbor condition that software cannot verify, so a person must attest to it."""

    reference: str
    """The paragraph of 45 CFR 164.514(b)(2) the condition comes from."""
    title: str
    statement: str
    """The statement the covered entity attests to, worded so that it can sign it."""

    def to_dict(self) -> dict[str, str]:
        return {"reference": self.reference, "title": self.title, "statement": self.statement}


ATTESTATION_ITEMS: tuple[AttestationItem, ...] = (
    AttestationItem(
        citation("P"), SAFE_HARBOR_CATEGORIES["P"],
        "The data holds no biometric identifiers. The scan flags columns named like biometrics but "
        "cannot recognize a fingerprint template or a voice print among the values.",
    ),
    AttestationItem(
        citation("Q"), SAFE_HARBOR_CATEGORIES["Q"],
        "The data holds and links to no full-face photographs or comparable images. The scan flags "
        "columns named like images and image file names, but it does not look at image content.",
    ),
    AttestationItem(
        citation("A"), "names in values",
        "No names appear in free text or in columns whose names the scan does not recognize. The scan "
        "finds names by column name only, because telling a name from other words by value is unreliable.",
    ),
    AttestationItem(
        citation("R"), "unique identifying characteristics",
        "No other unique identifying characteristic remains (for example a rare occupation or a "
        "distinctive event in free text). The scan finds unique codes, not unique characteristics.",
    ),
    AttestationItem(
        "45 CFR 164.514(b)(2)(ii)", "no actual knowledge",
        "The covered entity does not have actual knowledge that the information could be used alone or "
        "in combination with other information to identify an individual who is a subject of the "
        "information.",
    ),
)
"""Conditions of Safe Harbor left to the covered entity, listed on every scan result."""
