"""A tiny double-entry ledger: parsing amounts, posting entries, balances and a text report."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Dict, List

CURRENCY = "EUR"
MAX_AMOUNT = Decimal("1000000")


class LedgerError(ValueError):
    """Raised for invalid amounts and unbalanced entries."""


def parse_amount(text: str) -> Decimal:
    """Parses "12.50" or "12,50" into a Decimal with two places."""
    cleaned = text.strip().replace(",", ".")
    if not cleaned:
        raise LedgerError("empty amount")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise LedgerError(f"not an amount: {text!r}") from None
    if value <= 0:
        raise LedgerError("amounts must be positive")
    if value > MAX_AMOUNT:
        raise LedgerError("amount too large")
    return value.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Entry:
    debit: str
    credit: str
    amount: Decimal
    memo: str = ""


class Ledger:
    """Accounts and the entries posted between them."""

    def __init__(self, accounts: List[str]) -> None:
        if len(set(accounts)) != len(accounts):
            raise LedgerError("duplicate account")
        self.accounts = list(accounts)
        self.entries: List[Entry] = []

    def post(self, debit: str, credit: str, amount: str, memo: str = "") -> Entry:
        for account in (debit, credit):
            if account not in self.accounts:
                raise LedgerError(f"unknown account {account}")
        if debit == credit:
            raise LedgerError("debit and credit must differ")
        entry = Entry(debit, credit, parse_amount(amount), memo)
        self.entries.append(entry)
        return entry

    def balance(self, account: str) -> Decimal:
        if account not in self.accounts:
            raise LedgerError(f"unknown account {account}")
        total = Decimal("0.00")
        for entry in self.entries:
            if entry.debit == account:
                total += entry.amount
            elif entry.credit == account:
                total -= entry.amount
        return total

    def balances(self) -> Dict[str, Decimal]:
        return {account: self.balance(account) for account in self.accounts}


def format_report(ledger: Ledger) -> str:
    """One line per account with a non-zero balance, then the entry count."""
    lines = []
    for account, value in sorted(ledger.balances().items()):
        if value == 0:
            continue
        sign = "+" if value > 0 else "-"
        lines.append(f"{account:<10} {sign}{abs(value):>10} {CURRENCY}")
    lines.append(f"{len(ledger.entries)} entries")
    return "\n".join(lines)
