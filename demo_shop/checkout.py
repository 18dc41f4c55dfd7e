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
POSTCODE = {  # country → (pattern, example)
    "DE": (r"\d{5}", "20095"), "AT": (r"\d{4}", "1010"), "BE": (r"\d{4}", "1000"), "ES": (r"\d{5}", "28001"),
    "FR": (r"\d{5}", "75001"), "IE": (r"[A-Z0-9]{3} ?[A-Z0-9]{4}", "D02 X285"), "IT": (r"\d{5}", "00184"),
    "LU": (r"(L-)?\d{4}", "1009"), "NL": (r"\d{4} ?[A-Z]{2}", "1012 AB"), "PT": (r"\d{4}-\d{3}", "1100-148"),
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]{2,}$")
PHONE = re.compile(r"^\+?[0-9 ()/-]{6,20}$")

ADDRESS_FIELDS = ("name", "email", "street", "postcode", "city", "country", "phone")
PAYMENT_FIELDS = ("card_name", "card_number", "expiry", "cvc")


@dataclass
class Validated:
    values: dict[str, str]
    errors: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.errors


def _clean(form: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    return {name: " ".join(str(form.get(name, "")).split())[:120] for name in fields}


def validate_address(form: dict[str, str]) -> Validated:
    values = _clean(form, ADDRESS_FIELDS)
    values["postcode"] = values["postcode"].upper()
    errors: dict[str, str] = {}
    if len(values["name"]) < 2:
        errors["name"] = "Enter your full name."
    if not EMAIL.match(values["email"]):
        errors["email"] = "Enter an email address like name@example.com."
    if len(values["street"]) < 4 or not re.search(r"\d", values["street"]):
        errors["street"] = "Enter the street and house number."
    if values["country"] not in COUNTRIES:
        errors["country"] = "Choose a country we deliver to."
    else:
        pattern, example = POSTCODE[values["country"]]
        if not re.fullmatch(pattern, values["postcode"]):
            errors["postcode"] = f"Enter a postcode for {COUNTRIES[values['country']]}, e.g. {example}."
    if len(values["city"]) < 2:
        errors["city"] = "Enter your town or city."
    if values["phone"] and not PHONE.match(values["phone"]):
        errors["phone"] = "Enter a phone number with digits only, or leave it empty."
    return Validated(values, errors)


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
    values = _clean(form, PAYMENT_FIELDS)
    errors: dict[str, str] = {}
    if len(values["card_name"]) < 2:
        errors["card_name"] = "Enter the name as it appears on the card."
    digits = re.sub(r"[ -]", "", values["card_number"])
    if not digits.isdigit() or not 13 <= len(digits) <= 19:
        errors["card_number"] = "Enter the 13 to 19 digits of the card number."
    elif not luhn_ok(digits):
        errors["card_number"] = "This card number is not valid; check for a typo."
    expiry = re.fullmatch(r"(\d{1,2}) ?/ ?(\d{2}|\d{4})", values["expiry"])
    if not expiry or not 1 <= int(expiry.group(1)) <= 12:
        errors["expiry"] = "Enter the expiry date as MM/YY."
    else:
        month, year = int(expiry.group(1)), int(expiry.group(2)) % 100 + 2000
        if (year, month) < (today.year, today.month):
            errors["expiry"] = "This card has expired."
    if not re.fullmatch(r"\d{3,4}", values["cvc"]):
        errors["cvc"] = "Enter the 3 or 4 digit security code."
    values["card_last4"] = digits[-4:] if not errors else ""
    return Validated(values, errors)
