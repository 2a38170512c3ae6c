"""Pure checks of pushed sales and returns: every figure must add up to the cent, or the mutation is
rejected with a reason a person can act on. No database here; `sales.py` and `returns_apply.py` check
what needs one (variants, locations, numbers, what was already returned).

Amounts in reasons are minor units, as on the wire.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import orjson
from pydantic import ValidationError

from sync.protocol import MUTATION_PAYLOADS
from sync.server.errors import Rejected
from sync.server.ids import fixed_width

Doc = dict[str, Any]


def valid_payload(mutation_type: str, payload: Doc) -> Doc:
    """`payload` validated against its mutation type's schema and found storable, or Rejected with
    the reason. The one gate of every pushed payload, batched sales included, so a bad payload is
    refused with the same words whichever path applies it."""
    try:
        valid = MUTATION_PAYLOADS[mutation_type].validate_python(payload)
    except ValidationError as exc:
        raise Rejected(payload_problem(mutation_type, exc)) from None
    check_storable(valid)
    return valid


def payload_problem(mutation_type: str, exc: ValidationError) -> str:
    """Which fields of a payload are wrong, e.g. "lines.0.quantity: Input should be ...".

    The offending input is left out: it can be a whole sale.
    """
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err.get("loc", ())) or "payload"
        parts.append(f"{where}: {err.get('msg')}")
    more = f" (and {exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
    return f"invalid {mutation_type} payload: " + "; ".join(parts) + more


def line_label(position: int, line: Doc) -> str:
    """How a reason names a line: "line 2 (SKU-1, Oat milk)"."""
    return f"line {position} ({line.get('sku') or 'no SKU'}, {line.get('title') or 'untitled'})"


def _unique(ids: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for one in ids:
        if one in seen:
            raise Rejected(f"{what} id {one!r} appears twice")
        seen.add(one)


def check_sale(sale: Doc) -> None:
    """The invariants of sync.protocol.SaleCreate; raises Rejected with the first one broken."""
    lines, payments = sale["lines"], sale["payments"]
    wire_time(sale, "created_at")  # the pattern lets through "2026-13-45T99:99:99Z"
    _unique((ln["id"] for ln in lines), "line")
    _unique((p["id"] for p in payments), "payment")
    for n, line in enumerate(lines, start=1):
        _check_line(n, line, sale["prices_include_tax"])
    for field, parts in (
        ("subtotal", [ln["quantity"] * ln["unit_price"] for ln in lines]),
        ("discount", [ln["discount"] for ln in lines]),
        ("tax", [ln["tax"] for ln in lines]),
        ("total", [ln["total"] for ln in lines]),
    ):
        if sum(parts) != sale[field]:
            raise Rejected(f"the lines add up to a {field} of {sum(parts)} but the sale says {sale[field]}")
    net = sale["subtotal"] - sale["discount"]
    expected = net if sale["prices_include_tax"] else net + sale["tax"]
    formula = "subtotal - discount" if sale["prices_include_tax"] else "subtotal - discount + tax"
    if sale["total"] != expected:
        raise Rejected(f"total {sale['total']} is not {formula} = {expected}")
    _check_payments(sale)


def _check_line(n: int, line: Doc, inclusive: bool) -> None:
    label = line_label(n, line)
    for field in ("unit_price", "discount", "tax"):
        if line[field] < 0:
            raise Rejected(f"{label}: {field.replace('_', ' ')} cannot be negative ({line[field]})")
    amount = line["quantity"] * line["unit_price"]
    if line["discount"] > amount:
        raise Rejected(f"{label}: discount {line['discount']} is more than the line amount {amount}")
    _check_line_tax(label, line, amount - line["discount"], inclusive)
    expected = amount - line["discount"] + (0 if inclusive else line["tax"])
    if line["total"] != expected:
        formula = "quantity x unit price - discount" + ("" if inclusive else " + tax")
        raise Rejected(f"{label}: total {line['total']} is not {formula} = {expected}")


def _check_line_tax(label: str, line: Doc, base: int, inclusive: bool) -> None:
    """The line's tax against the rule of pos.domain.tax: `rate` % of the net (exclusive prices) or
    rate / (100 + rate) of the gross (inclusive), per line, on the amount after discount.

    The till rounds half up; the shop accepts either minor unit next to the exact figure, so a till
    rounding another way is not refused, while a tax the line could not carry is.
    """
    tax = line["tax"]
    rate = Fraction(Decimal(line["tax_rate"])) if line["tax_rate"] is not None else Fraction(0)
    if rate == 0:
        if tax != 0:
            raise Rejected(f"{label}: tax {tax} on a line taxed at 0 % (or not taxed)")
        return
    if inclusive and tax > base:
        raise Rejected(f"{label}: tax {tax} is more than the line's gross {base}")
    exact = base * rate / (100 + rate) if inclusive else base * rate / 100
    if abs(tax - exact) >= 1:
        kind = "gross" if inclusive else "net"
        raise Rejected(
            f"{label}: tax {tax} is not {line['tax_rate']} % of the {kind} {base}"
            f" (about {round(float(exact), 2)}, rounded per line to the minor unit)"
        )


def _check_payments(sale: Doc) -> None:
    payments, total, change = sale["payments"], sale["total"], sale["change"]
    for p in payments:
        if p["amount"] < 0 or p["tendered"] < 0:
            raise Rejected(f"{p['method']} payment {p['id']}: amounts cannot be negative")
        if p["method"] == "card" and p["tendered"] != p["amount"]:
            raise Rejected(
                f"card payment {p['id']}: charged {p['tendered']} but applied {p['amount']};"
                " change is only given from cash"
            )
        if p["method"] == "cash" and p["tendered"] < p["amount"]:
            raise Rejected(f"cash payment {p['id']}: applied {p['amount']} but only {p['tendered']} tendered")
    if change < 0:
        raise Rejected(f"change cannot be negative ({change})")
    if change > 0 and not any(p["method"] == "cash" for p in payments):
        raise Rejected(f"change of {change} given without a cash payment: change only comes out of cash")
    paid = sum(p["amount"] for p in payments)
    if paid != total:
        raise Rejected(f"the payments add up to {paid} but the sale total is {total}")
    tendered = sum(p["tendered"] for p in payments)
    if tendered - change != total:
        raise Rejected(
            f"tendered {tendered} minus change {change} is {tendered - change}, not the total {total}"
        )


def check_return(ret: Doc, order_number: str, lines: list[Doc], earlier: list[Doc]) -> None:
    """A return against an order's `lines`, given the returns `earlier` taken against it.

    Per order line: quantity at most sold minus already returned, refund at most the line total minus
    what was already refunded for it, and its tax at most the line's tax minus the tax already
    refunded (pos.domain.returns never refunds more of either). The line amounts add up to the
    total, and so do the refunds.
    """
    wire_time(ret, "created_at")  # the pattern lets through "2026-13-45T99:99:99Z"
    _unique((ln["id"] for ln in ret["lines"]), "return line")
    _unique((r["id"] for r in ret["refunds"]), "refund")
    by_id = {ln["id"]: (n, ln) for n, ln in enumerate(lines, start=1)}
    returned, refunded, refunded_tax = _already(earlier)
    for rl in ret["lines"]:
        found = by_id.get(rl["line_id"])
        if found is None:
            raise Rejected(f"order {order_number} has no line {rl['line_id']!r}")
        n, line = found
        label = line_label(n, line)
        if rl["amount"] < 0 or rl["tax"] < 0 or rl["tax"] > rl["amount"]:
            raise Rejected(f"{label}: refund {rl['amount']} with tax {rl['tax']} is not possible")
        left = line["quantity"] - returned.get(line["id"], 0)
        if rl["quantity"] > left:
            raise Rejected(
                f"{label}: returning {rl['quantity']} but only {left} of {line['quantity']} sold"
                " are left to return"
            )
        money_left = line["total"] - refunded.get(line["id"], 0)
        if rl["amount"] > money_left:
            raise Rejected(
                f"{label}: refund {rl['amount']} is more than the {money_left} left of the line total"
            )
        tax_left = line["tax"] - refunded_tax.get(line["id"], 0)
        if rl["tax"] > tax_left:
            raise Rejected(
                f"{label}: refund tax {rl['tax']} is more than the {tax_left} left of the line's tax"
            )
        returned[line["id"]] = returned.get(line["id"], 0) + rl["quantity"]
        refunded[line["id"]] = refunded.get(line["id"], 0) + rl["amount"]
        refunded_tax[line["id"]] = refunded_tax.get(line["id"], 0) + rl["tax"]
    lines_sum = sum(rl["amount"] for rl in ret["lines"])
    if lines_sum != ret["total"]:
        raise Rejected(f"the return lines add up to {lines_sum} but the return total is {ret['total']}")
    if any(r["amount"] < 0 for r in ret["refunds"]):
        raise Rejected("a refund amount cannot be negative")
    refunds_sum = sum(r["amount"] for r in ret["refunds"])
    if refunds_sum != ret["total"]:
        raise Rejected(f"the refunds add up to {refunds_sum} but the return total is {ret['total']}")


def _already(earlier: list[Doc]) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """(quantity returned, amount refunded, tax refunded) per order line over earlier returns."""
    returned: dict[str, int] = {}
    refunded: dict[str, int] = {}
    refunded_tax: dict[str, int] = {}
    for ret in earlier:
        for rl in ret["lines"]:
            returned[rl["line_id"]] = returned.get(rl["line_id"], 0) + rl["quantity"]
            refunded[rl["line_id"]] = refunded.get(rl["line_id"], 0) + rl["amount"]
            refunded_tax[rl["line_id"]] = refunded_tax.get(rl["line_id"], 0) + rl["tax"]
    return returned, refunded, refunded_tax


def fully_returned(lines: list[Doc], returns: list[Doc]) -> bool:
    returned, _, _ = _already(returns)
    return all(returned.get(ln["id"], 0) >= ln["quantity"] for ln in lines)


def wire_time(payload: Doc, field: str) -> str:
    """`payload[field]` in the fixed-width form the shop stores, or Rejected naming the field."""
    try:
        return fixed_width(payload[field])
    except ValueError as exc:
        raise Rejected(f"{field} {payload[field]!r} is not a date and time: {exc}") from None


def check_storable(payload: Doc) -> None:
    """Raise Rejected, naming the field, when the payload holds what the database cannot store: a NUL
    character (PostgreSQL text cannot hold it), a lone surrogate (UTF-8 cannot carry it), an integer
    over 64 bits or nesting too deep (JSON text columns).

    Checked for every mutation before it is applied, so the answer is this mutation's own rejection
    on every backend alike, never a database error in the middle of a batch.
    """
    try:
        text = orjson.dumps(payload)  # refuses all but the NUL, in C, so a good payload costs little
    except orjson.JSONEncodeError as exc:
        where, why = _unstorable(payload, "") or ("the payload", str(exc))
        raise Rejected(f"{where} cannot be stored: {why}") from None
    if b"\\u0000" in text and (found := _unstorable(payload, "")) is not None:
        raise Rejected(f"{found[0]} {found[1]}")


def _unstorable(value: Any, where: str) -> tuple[str, str] | None:
    """(where, why) of the first value the shop cannot store, e.g. ("lines.0.title", "holds a NUL ...")."""
    if isinstance(value, str):
        if "\x00" in value:
            return where, "holds a NUL character, which the shop cannot store"
        try:
            value.encode()
        except UnicodeEncodeError:
            return where, "is not valid UTF-8 text"
        return None
    if isinstance(value, int) and not -(2**63) <= value < 2**64:
        return where, "the number is too large"
    items: Iterable[tuple[Any, Any]]
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        path = f"{where}.{key}" if where else str(key)
        if isinstance(key, str) and (found := _unstorable(key, path)) is not None:
            return found
        if (found := _unstorable(item, path)) is not None:
            return found
    return None


def json_text(value: Any) -> str:
    """`value` as the JSON text the shop stores (check_storable has passed it for every push)."""
    return orjson.dumps(value).decode()
