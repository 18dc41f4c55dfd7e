"""Checkout form validation: address and (fake) card payment.

Each validator takes the submitted form as ``{field: value}`` and returns the cleaned values and a
``{field: message}`` dict of errors, so the template can mark fields ``aria-invalid`` and say why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

COUNTRIES: dict[str, str] = {
    "DE": "Germany", "AT": "Austria", "BE": "Belgium", "ES": "Spain", "FR": "France", "IE": "Ireland",
    "IT": "Italy", "LU": "Luxembourg", "NL": "Netherlands", "PT": "Portugal",
}
POSTCODE = {  # country → (pattern, example); [0-9], not \d: \d also matches "٣" or "²" (docs/demo.md)
    "DE": (r"[0-9]{5}", "20095"), "AT": (r"[0-9]{4}", "1010"), "BE": (r"[0-9]{4}", "1000"),
    "ES": (r"[0-9]{5}", "28001"), "FR": (r"[0-9]{5}", "75001"), "IE": (r"[A-Z0-9]{3} ?[A-Z0-9]{4}", "D02 X285"),
    "IT": (r"[0-9]{5}", "00184"), "LU": (r"(L-)?[0-9]{4}", "1009"), "NL": (r"[0-9]{4} ?[A-Z]{2}", "1012 AB"),
    "PT": (r"[0-9]{4}-[0-9]{3}", "1100-148"),
}
# local part and domain are dot-separated non-empty labels (no "a@b..com", no ".a@b.com"); the top level has 2+ letters
EMAIL = re.compile(r"[^@\s.]+(?:\.[^@\s.]+)*@(?:[^@\s.]+\.)+[^@\s.]{2,}")
PHONE = re.compile(r"\+?[0-9 ()/-]{6,20}")
CARD_DIGITS = re.compile(r"[0-9]{13,19}")
EXPIRY = re.compile(r"([0-9]{1,2}) ?/ ?([0-9]{2}|[0-9]{4})")
CVC = re.compile(r"[0-9]{3,4}")
MAX_CARD_YEARS = 20          # no card is issued for longer: "12/2099" is a typo, not a card

ADDRESS_FIELDS = ("name", "email", "street", "postcode", "city", "country", "phone")
PAYMENT_FIELDS = ("card_name", "card_number", "expiry", "cvc")
# The longest value each text field takes (the inputs carry the same ``maxlength``); a longer one is refused
# with a field error, never cut silently.
MAX_LENGTH: dict[str, int] = {
    "name": 100, "email": 254, "street": 100, "postcode": 10, "city": 60, "phone": 20,
    "card_name": 100, "card_number": 23, "expiry": 9, "cvc": 4,
}
LABELS: dict[str, str] = {
    "name": "Full name", "email": "Email", "street": "Street and house number", "postcode": "Postcode",
    "city": "Town or city", "phone": "Phone", "card_name": "Name on card", "card_number": "Card number",
    "expiry": "Expiry date", "cvc": "Security code",
}


@dataclass
class Validated:
    values: dict[str, str]
    errors: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.errors


def _clean(form: dict[str, str], fields: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """Values with runs of whitespace collapsed, and a "too long" error for each value over its limit."""
    values = {name: " ".join(str(form.get(name, "")).split()) for name in fields}
    errors = {name: f"{LABELS[name]} is too long (at most {MAX_LENGTH[name]} characters)."
              for name, value in values.items() if name in MAX_LENGTH and len(value) > MAX_LENGTH[name]}
    return values, errors


def _in_form_order(fields: tuple[str, ...], *error_sets: dict[str, str]) -> dict[str, str]:
    """Errors merged (later sets win: "too long" says more than "not valid") in the form's field order."""
    merged = {name: message for errors in error_sets for name, message in errors.items()}
    return {name: merged[name] for name in fields if name in merged}


def validate_address(form: dict[str, str]) -> Validated:
    values, too_long = _clean(form, ADDRESS_FIELDS)
    values["postcode"] = values["postcode"].upper()
    errors: dict[str, str] = {}
    if len(values["name"]) < 2:
        errors["name"] = "Enter your full name."
    if not EMAIL.fullmatch(values["email"]):
        errors["email"] = "Enter an email address like name@example.com."
    if len(values["street"]) < 4 or not re.search(r"[0-9]", values["street"]):
        errors["street"] = "Enter the street and house number."
    if values["country"] not in COUNTRIES:
        errors["country"] = "Choose a country we deliver to."
    else:
        pattern, example = POSTCODE[values["country"]]
        if not re.fullmatch(pattern, values["postcode"]):
            errors["postcode"] = f"Enter a postcode for {COUNTRIES[values['country']]}, e.g. {example}."
    if len(values["city"]) < 2:
        errors["city"] = "Enter your town or city."
    if values["phone"] and not PHONE.fullmatch(values["phone"]):
        errors["phone"] = "Enter a phone number with digits only, or leave it empty."
    return Validated(values, _in_form_order(ADDRESS_FIELDS, errors, too_long))


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def validate_payment(form: dict[str, str], today: date | None = None) -> Validated:
    """Card checks a real form would do before talking to a payment provider (there is none here)."""
    today = today or date.today()
    values, too_long = _clean(form, PAYMENT_FIELDS)
    errors: dict[str, str] = {}
    if len(values["card_name"]) < 2:
        errors["card_name"] = "Enter the name as it appears on the card."
    digits = re.sub(r"[ -]", "", values["card_number"])
    if not CARD_DIGITS.fullmatch(digits):
        errors["card_number"] = "Enter the 13 to 19 digits of the card number."
    elif not luhn_ok(digits):
        errors["card_number"] = "This card number is not valid; check for a typo."
    if (problem := expiry_problem(values["expiry"], today)):
        errors["expiry"] = problem
    if not CVC.fullmatch(values["cvc"]):
        errors["cvc"] = "Enter the 3 or 4 digit security code."
    errors = _in_form_order(PAYMENT_FIELDS, errors, too_long)
    values["card_last4"] = digits[-4:] if not errors else ""
    return Validated(values, errors)


def expiry_problem(text: str, today: date) -> str | None:
    """Why ``text`` is no usable expiry date, or None. "MM/YY" means 20YY; "MM/YYYY" is taken as written, so
    "12/1999" has expired (not 2099)."""
    expiry = EXPIRY.fullmatch(text)
    if not expiry or not 1 <= int(expiry.group(1)) <= 12:
        return "Enter the expiry date as MM/YY."
    month, year_text = int(expiry.group(1)), expiry.group(2)
    year = int(year_text) if len(year_text) == 4 else 2000 + int(year_text)
    if (year, month) < (today.year, today.month):
        return "This card has expired."
    if year > today.year + MAX_CARD_YEARS:
        return f"Check the year: a card is valid for at most {MAX_CARD_YEARS} years."
    return None
