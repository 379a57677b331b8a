"""An independent, in-memory reference model of the ``omnistock-workload/1`` rules.

This is a **test oracle**, not product code: plain Python, standard library only, no
database, no import of ``omnistock``. It reads the JSON Lines workload described in
``shared/workload/README.md`` and returns the summary a replay must print, so the
database implementation (``omnistock replay``) can be compared with it on any seed::

    python tests/support/workload_oracle.py w.jsonl        # prints the summary JSON
    python tests/support/workload_oracle.py --check w.jsonl expected.json

Money is integer cents everywhere; quantities are Python ints. Every outflow is valued by
the README's single rule ``take(V, q, Q) = V if q == Q else (2*V*q + Q) // (2*Q)``.

Interpretation decisions (where the README is silent or could be read two ways)
-------------------------------------------------------------------------------
1. **Lines and events.** ``events`` counts every line after the header, including a blank or
   whitespace-only line, which is "a line that is not a JSON object" and therefore *invalid*.
   A line that is not UTF-8 or not JSON, or JSON that is not an object, is invalid. The first
   line must be ``{"op":"header","format":"omnistock-workload/1",...}``; otherwise the file is
   not a workload and ``summarize`` raises ``ValueError`` (nothing is replayed). A later line
   with ``op == "header"`` is an unknown op (invalid).
2. **Malformed means wrong JSON type or missing field.** Every field the README lists for an op
   is required. ``code``/``sku``/``ref``/``warehouse``/``channel``/``customer``/``supplier``/
   ``from``/``to``/line ``sku`` must be non-empty strings; ``name``, ``unit``, ``phone`` must be
   strings; ``safety_stock`` must be an int >= 0 (not a bool). ``at`` (required on every
   document op: receive, order, ship, cancel, return, transfer, count) must be a string that
   ``datetime.fromisoformat`` parses *with* a UTC offset. Fields the README does not list are
   ignored. ``at`` is only validated: events are applied in file order (no back-dating).
3. **Quantities** (``qty``) are ints > 0, ``counted`` an int >= 0; ``true``/``false`` and
   ``5.0`` are not ints. No upper bound is imposed (the README names none); the database
   implementation must not overflow on what it accepts (or the README needs a bound).
4. **Money** must be a JSON string that fully matches ``[0-9]+(\\.[0-9]{1,2})?`` (ASCII digits);
   ``"0"`` is valid (a free sample; a zero cost; a zero price).
5. **Ref namespaces.** orders, receipts, transfers and counts each have their own. An *invalid*
   event never takes a ref; a *rejected* order holds its ref (README), and so does a
   *rejected* transfer ("likewise ... rejected whole": it is recorded like a rejected order).
   The generator never reuses a transfer ref, so the samples do not decide this.
6. **Validation before change.** Checks run in this order, and the first failure makes the
   event invalid with no effect: shape/types -> ref not used -> master data known -> lines
   (non-empty list of objects, each valid, no SKU twice) -> state rules. Only then is an order
   or transfer tested for availability (rejected, not invalid). So an order with an unknown
   channel or customer is invalid even if it also lacks stock.
7. **A count below the reservation is invalid.** The README says a count sets on-hand to
   ``counted`` but also that every *accepted* order holds stock that ``ship`` will take. If a
   count could make ``on_hand < reserved``, a later ``ship`` would take more than the
   warehouse holds (negative stock, and a pool outflow ``q > Q`` that the valuation rule cannot
   value). We read this as "not allowed in the current state": a count line with
   ``counted < reserved`` (same warehouse and SKU) makes the whole count invalid. The generator
   agrees: it always counts ``max(reserved, ...)``. Consequence, checked at every step:
   ``0 <= reserved <= on_hand`` per (warehouse, SKU), so ``ship`` never needs a stock check,
   and the SKU pool always holds ``Q == sum of on_hand`` over warehouses.
8. **Count valuation.** ``d = counted - on_hand`` in that warehouse. A loss takes ``-d`` out of
   the SKU's pool / oldest FIFO layers (value added to ``shrinkage``). A gain is valued
   ``take``-style as ``(2*V*d + Q) // (2*Q)`` with (Q, V) the SKU-wide average pool or the newest
   FIFO layer; "no stock at all" means the SKU-wide pool is empty (Q == 0 / no layers, even if
   on-hand elsewhere was counted to 0 before), and then the gain is ``d * c`` with ``c`` the unit
   cost of the last *valid* receipt line of that SKU in file order (0 if none). A gain joins
   the pool or becomes a new newest layer (also when its value is 0) and its value is
   subtracted from ``shrinkage``. ``d == 0`` changes nothing but the count is still counted.
   Lines of one count are independent (each SKU appears once).
9. **Returns.** Allowed on a shipped order any number of times until every line is fully
   returned; each return line takes cogs and revenue back from the line's not-yet-returned
   cogs/revenue by ``take`` (so the last return gives back exactly the remainder). Pieces go
   back into the order's warehouse; for FIFO as one new newest layer per return line (value
   may be 0), for average into the pool. A return of a SKU that is a known product but not on
   the order, of more than ``shipped - returned``, or of an order that is open, cancelled,
   rejected or unknown, is invalid.
10. **Signs.** No value is ever negative: receipts, gains and returns add values >= 0, and
    ``take`` with ``0 <= q <= Q`` and ``V >= 0`` gives ``0 <= take <= V``. So round-half-up and
    round-half-away-from-zero agree; the formula (floor division) is used as written.
    ``shrinkage`` as a total may be negative (gains exceed losses).
11. **Digest.** Lines ``f"{WAREHOUSE}|{SKU}|{QTY}\\n"`` for on_hand != 0, sorted by Python
    string order (code points == UTF-8 byte order, *not* a database collation), concatenated,
    UTF-8 encoded, sha256 hex.
12. **Master data.** Duplicate codes are invalid within a kind (warehouse, channel, supplier,
    customer, product); kinds are separate namespaces. There is no update of master data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sys
from collections import deque
from collections.abc import Iterable

FORMAT = "omnistock-workload/1"
MONEY_RE = re.compile(r"[0-9]+(\.[0-9]{1,2})?")
COUNTER_KEYS = (
    "receipts",
    "orders_accepted",
    "orders_rejected",
    "shipments",
    "cancellations",
    "returns",
    "transfers",
    "transfers_rejected",
    "counts",
)


class Invalid(Exception):
    """The event is refused as invalid; nothing has been changed."""


# -- pure rules ---------------------------------------------------------------------------


def take(value: int, q: int, qty: int) -> int:
    """Value of taking ``q`` of ``qty`` pieces worth ``value`` cents (README rule)."""
    if not 0 < q <= qty:
        raise AssertionError(f"take {q} of {qty}")
    return value if q == qty else (2 * value * q + qty) // (2 * qty)


def cents(s: object) -> int:
    """A README money string to integer cents; anything else is invalid."""
    if not isinstance(s, str) or not MONEY_RE.fullmatch(s):
        raise Invalid(f"bad money {s!r}")
    whole, _, frac = s.partition(".")
    return int(whole) * 100 + int(frac.ljust(2, "0") or "0")


def money(c: int) -> str:
    sign = "-" if c < 0 else ""
    c = abs(c)
    return f"{sign}{c // 100}.{c % 100:02d}"


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _code(e: dict, key: str) -> str:
    v = e.get(key)
    if not isinstance(v, str) or not v:
        raise Invalid(f"{key} must be a non-empty string")
    return v


def _text(e: dict, key: str) -> str:
    v = e.get(key)
    if not isinstance(v, str):
        raise Invalid(f"{key} must be a string")
    return v


def _qty(line: dict, key: str = "qty", minimum: int = 1) -> int:
    v = line.get(key)
    if not _is_int(v) or v < minimum:
        raise Invalid(f"{key} must be an integer >= {minimum}")
    return v


def _at(e: dict) -> None:
    v = e.get("at")
    if not isinstance(v, str):
        raise Invalid("at must be a string")
    try:
        t = dt.datetime.fromisoformat(v)
    except ValueError:
        raise Invalid("at is not ISO-8601") from None
    if t.tzinfo is None:
        raise Invalid("at has no offset")


# -- state --------------------------------------------------------------------------------


class Sku:
    __slots__ = ("fifo", "qty", "value", "layers", "last_cost")

    def __init__(self, fifo: bool):
        self.fifo = fifo
        self.qty = 0  # pooled over all warehouses (average pool, or sum of layers)
        self.value = 0
        self.layers: deque[list[int]] = deque()  # fifo only: [qty, value], oldest first
        self.last_cost = 0  # cents per piece of the last receipt line

    def put(self, q: int, v: int) -> None:
        self.qty += q
        self.value += v
        if self.fifo:
            self.layers.append([q, v])

    def out(self, q: int) -> int:
        """Take ``q`` pieces out; return their value."""
        if q > self.qty:
            raise AssertionError("outflow exceeds the pool")
        if not self.fifo:
            v = take(self.value, q, self.qty)
        else:
            v, left = 0, q
            while left:
                layer = self.layers[0]
                if left >= layer[0]:
                    v += layer[1]
                    left -= layer[0]
                    self.layers.popleft()
                else:
                    part = take(layer[1], left, layer[0])
                    layer[0] -= left
                    layer[1] -= part
                    v += part
                    left = 0
        self.qty -= q
        self.value -= v
        return v

    def gain_value(self, d: int) -> int:
        if self.qty == 0:
            return d * self.last_cost
        q, v = self.layers[-1] if self.fifo else (self.qty, self.value)
        return (2 * v * d + q) // (2 * q)


class OrderLine:
    __slots__ = ("sku", "qty", "price", "left", "cogs_left", "revenue_left")

    def __init__(self, sku: str, qty: int, price: int):
        self.sku, self.qty, self.price = sku, qty, price
        self.left = self.cogs_left = self.revenue_left = 0


class Order:
    __slots__ = ("wh", "lines", "status")

    def __init__(self, wh: str, lines: dict[str, OrderLine], status: str):
        self.wh, self.lines, self.status = wh, lines, status


class Oracle:
    def __init__(self) -> None:
        self.masters: dict[str, set[str]] = {
            k: set() for k in ("warehouse", "channel", "supplier", "customer")
        }
        self.skus: dict[str, Sku] = {}
        self.on_hand: dict[tuple[str, str], int] = {}
        self.reserved: dict[tuple[str, str], int] = {}
        self.orders: dict[str, Order | None] = {}  # None: a rejected order holding its ref
        self.refs: dict[str, set[str]] = {k: set() for k in ("receipt", "transfer", "count")}
        self.n = dict.fromkeys(COUNTER_KEYS, 0)
        self.events = self.invalid = 0
        self.received = self.cogs = self.revenue = self.shrinkage = 0

    # -- helpers -----------------------------------------------------------------------
    def _known(self, kind: str, e: dict, key: str | None = None) -> str:
        code = _code(e, key or kind)
        if code not in self.masters[kind]:
            raise Invalid(f"unknown {kind} {code}")
        return code

    def _ref(self, e: dict, space: str) -> str:
        ref = _code(e, "ref")
        if ref in self.refs[space]:
            raise Invalid(f"{space} ref {ref} already used")
        return ref

    def _lines(self, e: dict, parse) -> list:
        lines = e.get("lines")
        if not isinstance(lines, list) or not lines:
            raise Invalid("lines must be a non-empty list")
        seen: set[str] = set()
        out = []
        for line in lines:
            if not isinstance(line, dict):
                raise Invalid("a line is not an object")
            sku = _code(line, "sku")
            if sku not in self.skus:
                raise Invalid(f"unknown sku {sku}")
            if sku in seen:
                raise Invalid(f"sku {sku} twice")
            seen.add(sku)
            out.append((sku, *parse(line)))
        return out

    def _avail(self, wh: str, sku: str) -> int:
        k = (wh, sku)
        return self.on_hand.get(k, 0) - self.reserved.get(k, 0)

    def _add(self, d: dict, k: tuple[str, str], q: int) -> None:
        d[k] = d.get(k, 0) + q

    # -- one line ----------------------------------------------------------------------
    def line(self, raw: str | bytes) -> None:
        self.events += 1
        try:
            if isinstance(raw, bytes):
                try:
                    raw = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise Invalid("not UTF-8") from None
            try:
                e = json.loads(raw)
            except ValueError:
                raise Invalid("not JSON") from None
            if not isinstance(e, dict):
                raise Invalid("not an object")
            handler = self.HANDLERS.get(e.get("op")) if isinstance(e.get("op"), str) else None
            if handler is None:
                raise Invalid("unknown op")
            handler(self, e)
        except Invalid:
            self.invalid += 1

    # -- master data -------------------------------------------------------------------
    def _master(self, e: dict, kind: str) -> None:
        code = _code(e, "code")
        _text(e, "name")
        if kind == "customer":
            _text(e, "phone")
        if code in self.masters[kind]:
            raise Invalid(f"duplicate {kind} {code}")
        self.masters[kind].add(code)

    def op_product(self, e: dict) -> None:
        sku = _code(e, "sku")
        _text(e, "name")
        _text(e, "unit")
        cents(e.get("price"))
        method = e.get("cost_method")
        if method not in ("average", "fifo"):
            raise Invalid("bad cost_method")
        if not _is_int(e.get("safety_stock")) or e["safety_stock"] < 0:
            raise Invalid("bad safety_stock")
        if sku in self.skus:
            raise Invalid(f"duplicate sku {sku}")
        self.skus[sku] = Sku(method == "fifo")

    # -- documents ---------------------------------------------------------------------
    def op_receive(self, e: dict) -> None:
        ref = self._ref(e, "receipt")
        self._known("supplier", e)
        wh = self._known("warehouse", e)
        _at(e)
        lines = self._lines(e, lambda ln: (_qty(ln), cents(ln.get("unit_cost"))))
        self.refs["receipt"].add(ref)
        for sku, q, c in lines:
            s = self.skus[sku]
            s.put(q, q * c)
            s.last_cost = c
            self._add(self.on_hand, (wh, sku), q)
            self.received += q * c
        self.n["receipts"] += 1

    def op_order(self, e: dict) -> None:
        ref = _code(e, "ref")
        if ref in self.orders:
            raise Invalid(f"order ref {ref} already used")
        self._known("channel", e)
        self._known("customer", e)
        wh = self._known("warehouse", e)
        _at(e)
        lines = self._lines(e, lambda ln: (_qty(ln), cents(ln.get("unit_price"))))
        if all(self._avail(wh, sku) >= q for sku, q, _ in lines):
            for sku, q, _ in lines:
                self._add(self.reserved, (wh, sku), q)
            self.orders[ref] = Order(wh, {sku: OrderLine(sku, q, p) for sku, q, p in lines}, "open")
            self.n["orders_accepted"] += 1
        else:
            self.orders[ref] = None
            self.n["orders_rejected"] += 1

    def _open_order(self, e: dict) -> Order:
        ref = _code(e, "ref")
        _at(e)
        o = self.orders.get(ref)
        if o is None or o.status != "open":
            raise Invalid("order is not accepted-and-open")
        return o

    def op_ship(self, e: dict) -> None:
        o = self._open_order(e)
        for ln in o.lines.values():
            k = (o.wh, ln.sku)
            self._add(self.reserved, k, -ln.qty)
            self._add(self.on_hand, k, -ln.qty)
            cost = self.skus[ln.sku].out(ln.qty)
            ln.left, ln.cogs_left, ln.revenue_left = ln.qty, cost, ln.qty * ln.price
            self.cogs += cost
            self.revenue += ln.qty * ln.price
        o.status = "shipped"
        self.n["shipments"] += 1

    def op_cancel(self, e: dict) -> None:
        o = self._open_order(e)
        for ln in o.lines.values():
            self._add(self.reserved, (o.wh, ln.sku), -ln.qty)
        o.status = "cancelled"
        self.n["cancellations"] += 1

    def op_return(self, e: dict) -> None:
        ref = _code(e, "ref")
        _at(e)
        lines = self._lines(e, lambda ln: (_qty(ln),))
        o = self.orders.get(ref)
        if o is None or o.status != "shipped":
            raise Invalid("order is not shipped")
        for sku, q in lines:
            ln = o.lines.get(sku)
            if ln is None:
                raise Invalid(f"sku {sku} is not on the order")
            if q > ln.left:
                raise Invalid("more than shipped minus returned")
        for sku, q in lines:
            ln = o.lines[sku]
            cost = take(ln.cogs_left, q, ln.left)
            rev = take(ln.revenue_left, q, ln.left)
            ln.left -= q
            ln.cogs_left -= cost
            ln.revenue_left -= rev
            self.cogs -= cost
            self.revenue -= rev
            self.skus[sku].put(q, cost)
            self._add(self.on_hand, (o.wh, sku), q)
        self.n["returns"] += 1

    def op_transfer(self, e: dict) -> None:
        ref = self._ref(e, "transfer")
        src = self._known("warehouse", e, "from")
        dst = self._known("warehouse", e, "to")
        if src == dst:
            raise Invalid("from equals to")
        _at(e)
        lines = self._lines(e, lambda ln: (_qty(ln),))
        self.refs["transfer"].add(ref)
        if all(self._avail(src, sku) >= q for sku, q in lines):
            for sku, q in lines:
                self._add(self.on_hand, (src, sku), -q)
                self._add(self.on_hand, (dst, sku), q)
            self.n["transfers"] += 1
        else:
            self.n["transfers_rejected"] += 1

    def op_count(self, e: dict) -> None:
        ref = self._ref(e, "count")
        wh = self._known("warehouse", e)
        _at(e)
        lines = self._lines(e, lambda ln: (_qty(ln, "counted", 0),))
        for sku, counted in lines:
            if counted < self.reserved.get((wh, sku), 0):
                raise Invalid("count below the reserved quantity")
        self.refs["count"].add(ref)
        for sku, counted in lines:
            k = (wh, sku)
            s = self.skus[sku]
            d = counted - self.on_hand.get(k, 0)
            if d < 0:
                self.shrinkage += s.out(-d)
            elif d > 0:
                v = s.gain_value(d)
                s.put(d, v)
                self.shrinkage -= v
            self.on_hand[k] = counted
        self.n["counts"] += 1

    HANDLERS = {
        "warehouse": lambda self, e: self._master(e, "warehouse"),
        "channel": lambda self, e: self._master(e, "channel"),
        "supplier": lambda self, e: self._master(e, "supplier"),
        "customer": lambda self, e: self._master(e, "customer"),
        "product": op_product,
        "receive": op_receive,
        "order": op_order,
        "ship": op_ship,
        "cancel": op_cancel,
        "return": op_return,
        "transfer": op_transfer,
        "count": op_count,
    }

    # -- result ------------------------------------------------------------------------
    def check(self) -> None:
        """The invariants this model relies on (cheap enough to run at the end)."""
        pooled: dict[str, int] = {}
        for (wh, sku), q in self.on_hand.items():
            r = self.reserved.get((wh, sku), 0)
            assert 0 <= r <= q, (wh, sku, q, r)
            pooled[sku] = pooled.get(sku, 0) + q
        value = 0
        for sku, s in self.skus.items():
            assert s.qty == pooled.get(sku, 0), sku
            assert s.value >= 0 and (s.qty > 0 or s.value == 0), sku
            if s.fifo:
                assert s.qty == sum(q for q, _ in s.layers) and s.value == sum(v for _, v in s.layers), sku
            value += s.value
        assert value == self.received - self.cogs - self.shrinkage

    def summary(self) -> dict:
        self.check()
        digest_lines = sorted(f"{wh}|{sku}|{q}\n" for (wh, sku), q in self.on_hand.items() if q)
        return {
            "events": self.events,
            "invalid": self.invalid,
            **self.n,
            "on_hand_total": sum(self.on_hand.values()),
            "reserved_total": sum(self.reserved.values()),
            "on_hand_digest": hashlib.sha256("".join(digest_lines).encode("utf-8")).hexdigest(),
            "received_value": money(self.received),
            "inventory_value": money(sum(s.value for s in self.skus.values())),
            "cogs": money(self.cogs),
            "revenue": money(self.revenue),
            "shrinkage": money(self.shrinkage),
        }


def _header(raw: str | bytes) -> None:
    try:
        h = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except ValueError:
        h = None
    if not isinstance(h, dict) or h.get("op") != "header" or h.get("format") != FORMAT:
        raise ValueError(f"not an {FORMAT} file: the first line must be its header")


def summarize(lines: Iterable[str | bytes]) -> dict:
    """The replay summary of a workload given as its lines (header first)."""
    it = iter(lines)
    first = next(it, None)
    if first is None:
        raise ValueError("empty workload: no header line")
    _header(first)
    oracle = Oracle()
    for raw in it:
        oracle.line(raw)
    return oracle.summary()


def summarize_file(path: str) -> dict:
    # Binary lines split on b"\n" only, so a stray byte never hides an event boundary.
    with open(path, "rb") as f:
        return summarize(f)


def dumps(summary: dict) -> str:
    return json.dumps(summary, sort_keys=True)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) == 3 and args[0] == "--check":
        got = summarize_file(args[1])
        with open(args[2], encoding="utf-8") as f:
            want = json.load(f)
        diff = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
        for k in diff:
            print(f"{k}: got {got.get(k)!r}, want {want.get(k)!r}")
        print("match" if not diff else "MISMATCH")
        return 1 if diff else 0
    if len(args) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    print(dumps(summarize_file(args[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
