"""Pure fulfilment rules: wave and parcel states as data, wave grouping, courier choice by region
and weight, courier fees, pick shortfalls, pack scans and tracking-number ranges.

Standard library only: unit-tested without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# -- waves (波次) ----------------------------------------------------------------------------------
CREATED = "created"  # 已创建: orders grouped, not yet on the floor
RELEASED = "released"  # 拣货中: released to picking
PICKED = "picked"  # 已拣货: picks confirmed; its orders go to the pack station
DONE = "done"  # 已完成: every order in it shipped or sent back

WAVE_TRANSITIONS: dict[str, set[str]] = {
    CREATED: {RELEASED},
    RELEASED: {PICKED},
    PICKED: {DONE},
    DONE: set(),
}
WAVE_STATES = {
    CREATED: ("已创建", "Created"),
    RELEASED: ("拣货中", "Picking"),
    PICKED: ("已拣货", "Picked"),
    DONE: ("已完成", "Done"),
}

# -- an order inside a wave -----------------------------------------------------------------------
WAITING = "waiting"  # in a wave not yet released
PICKING = "picking"
# PICKED: its goods are picked, waiting at the pack station
PACKED = "packed"  # 已打包: checked item by item, weighed; waiting for its tracking number
SHIPPED = "shipped"

SLOT_TRANSITIONS: dict[str, set[str]] = {
    WAITING: {PICKING},
    PICKING: {PICKED},
    PICKED: {PACKED},
    PACKED: {SHIPPED},
    SHIPPED: set(),
}
SLOT_STATES = {
    WAITING: ("待释放", "Waiting"),
    PICKING: ("拣货中", "Picking"),
    PICKED: ("待打包", "To pack"),
    PACKED: ("待发货", "To ship"),
    SHIPPED: ("已发货", "Shipped"),
}

# -- wave kinds ------------------------------------------------------------------------------------
SINGLE = "single"  # 单件: one line of one piece
SAME_SKU = "same_sku"  # 同款: the same SKUs in the same quantities as the others of its wave
MIXED = "mixed"  # 混合: anything else
WAVE_KINDS = {
    SINGLE: ("单件波次", "Single-item"),
    SAME_SKU: ("同款波次", "Same SKUs"),
    MIXED: ("混合波次", "Mixed"),
}
MAX_WAVE_ORDERS = 500

# -- returns ---------------------------------------------------------------------------------------
RESTOCK = "restock"  # back on the shelf, sellable
DEFECTIVE = "defective"  # came back damaged: written off as shrinkage at its cost
DISPOSITIONS = {RESTOCK: ("入库", "Restock"), DEFECTIVE: ("次品", "Defective")}

# An allocated order not shipped this many hours after it was ordered is late.
LATE_AFTER_HOURS = 24
MAX_RANGE = 10_000  # numbers imported into a tracking pool at once


def can_move(transitions: Mapping[str, set[str]], current: str, target: str) -> bool:
    return target in transitions.get(current, ())


def sources(transitions: Mapping[str, set[str]], target: str) -> set[str]:
    return {s for s, targets in transitions.items() if target in targets}


# -- grouping orders into waves --------------------------------------------------------------------


@dataclass(frozen=True)
class WaveOrder:
    """An allocated order as wave planning sees it: ``lines`` are (SKU code, qty)."""

    ref: str
    warehouse: str
    account: str
    lines: tuple[tuple[str, int], ...]


def is_single(lines: Sequence[tuple[str, int]]) -> bool:
    """One line of one piece."""
    return len(lines) == 1 and lines[0][1] == 1


def plan_waves(orders: Iterable[WaveOrder], *, max_orders: int) -> list[tuple[str, list[WaveOrder]]]:
    """Group orders by warehouse and courier account, then by SKU set: single-item orders
    together, orders with the very same lines together when there are at least two of them, the
    rest mixed; each group cut into waves of at most ``max_orders`` (kind, orders), in a fixed
    order."""
    if (
        not isinstance(max_orders, int)
        or isinstance(max_orders, bool)
        or not 1 <= max_orders <= MAX_WAVE_ORDERS
    ):
        raise ValueError("max_orders")
    groups: dict[tuple, list[WaveOrder]] = {}
    for o in orders:
        content = tuple(sorted(o.lines))
        key = (o.warehouse, o.account, SINGLE if is_single(content) else content)
        groups.setdefault(key, []).append(o)
    buckets: dict[tuple[str, str, str], list[WaveOrder]] = {}
    for (warehouse, account, content), members in groups.items():
        if content == SINGLE:
            kind = SINGLE
        elif len(members) >= 2:
            kind = SAME_SKU
        else:
            kind = MIXED
        if kind == SAME_SKU:
            buckets[(warehouse, account, kind + repr(content))] = members
        else:
            buckets.setdefault((warehouse, account, kind), []).extend(members)
    out = []
    for key in sorted(buckets):
        members = sorted(buckets[key], key=lambda o: (tuple(sorted(o.lines)), o.ref))
        kind = SAME_SKU if key[2].startswith(SAME_SKU) else key[2]
        for i in range(0, len(members), max_orders):
            out.append((kind, members[i : i + max_orders]))
    return out


# -- courier choice --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourierRule:
    id: int
    name: str
    account: str
    priority: int  # lower first
    provinces: tuple[str, ...]  # empty: anywhere
    cities: tuple[str, ...]  # empty: any city of those provinces
    min_weight_g: int
    max_weight_g: int | None  # None: no upper limit
    first_weight_g: int  # 首重
    first_fee_cents: int
    extra_unit_g: int  # 续重 step
    extra_fee_cents: int


@dataclass(frozen=True)
class Choice:
    rule: CourierRule
    fee_cents: int


def fee(rule: CourierRule, weight_g: int) -> int:
    """First weight for the first fee, every started step above it for the additional fee."""
    over = max(0, weight_g - rule.first_weight_g)
    steps = -(-over // rule.extra_unit_g) if over else 0
    return rule.first_fee_cents + steps * rule.extra_fee_cents


def eligible(rule: CourierRule, province: str | None, city: str | None, weight_g: int) -> bool:
    if rule.provinces and (province or "") not in rule.provinces:
        return False
    if rule.cities and (city or "") not in rule.cities:
        return False
    if weight_g < rule.min_weight_g:
        return False
    return rule.max_weight_g is None or weight_g <= rule.max_weight_g


STRATEGIES = ("cheapest", "priority")


def choose_courier(
    rules: Iterable[CourierRule],
    *,
    province: str | None,
    city: str | None,
    weight_g: int,
    strategy: str = "cheapest",
) -> Choice | None:
    """The eligible rule with the lowest fee (ties: priority, then id), or with the best priority
    (ties: fee, then id); None when no rule takes the parcel."""
    if strategy not in STRATEGIES:
        raise ValueError("strategy")
    options = [Choice(r, fee(r, weight_g)) for r in rules if eligible(r, province, city, weight_g)]
    if not options:
        return None
    if strategy == "cheapest":
        return min(options, key=lambda c: (c.fee_cents, c.rule.priority, c.rule.id))
    return min(options, key=lambda c: (c.rule.priority, c.fee_cents, c.rule.id))


def check_rule_numbers(r: CourierRule) -> str | None:
    """What is wrong with a rule's numbers, or None."""
    ints = (
        r.min_weight_g,
        r.first_weight_g,
        r.first_fee_cents,
        r.extra_unit_g,
        r.extra_fee_cents,
        r.priority,
    )
    if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in ints):
        return "negative"
    if r.extra_unit_g < 1:
        return "extra_unit"
    if r.max_weight_g is not None and r.max_weight_g < r.min_weight_g:
        return "weight_band"
    return None


# -- picking ---------------------------------------------------------------------------------------


def short_orders(needs: Sequence[tuple[str, int]], picked: int) -> list[str]:
    """Orders (ref, qty needed of one SKU, in slot order) that a pick of ``picked`` pieces leaves
    short: the earlier slots are filled first, and an order is filled completely or not at all."""
    left, short = picked, []
    for ref, qty in needs:
        if qty <= left:
            left -= qty
        else:
            short.append(ref)
    return short


# -- packing ---------------------------------------------------------------------------------------


def check_scan(expected: Mapping[str, int], scanned: Mapping[str, int], sku: str) -> str | None:
    """Whether one more piece of ``sku`` may go into the parcel: None, ``not_on_order`` or
    ``too_many``."""
    if sku not in expected:
        return "not_on_order"
    if scanned.get(sku, 0) + 1 > expected[sku]:
        return "too_many"
    return None


def missing_items(expected: Mapping[str, int], scanned: Mapping[str, int]) -> dict[str, int]:
    """SKU -> pieces still to scan (a parcel is complete when this is empty); extra SKUs or counts
    show as negative numbers."""
    out = {}
    for sku in sorted(set(expected) | set(scanned)):
        diff = expected.get(sku, 0) - scanned.get(sku, 0)
        if diff:
            out[sku] = diff
    return out


# -- tracking numbers -------------------------------------------------------------------------------


def number_range(prefix: str, first: int, last: int, width: int) -> list[str]:
    """``prefix`` + each number from ``first`` to ``last`` zero-padded to ``width`` digits."""
    for v in (first, last, width):
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise ValueError("range")
    if last < first or last - first + 1 > MAX_RANGE or len(str(last)) > width or width > 30:
        raise ValueError("range")
    return [f"{prefix}{n:0{width}d}" for n in range(first, last + 1)]


def good_number(number: object) -> bool:
    """A tracking number: 6-40 letters, digits or '-'."""
    return (
        isinstance(number, str)
        and 6 <= len(number) <= 40
        and all(c.isascii() and (c.isalnum() or c == "-") for c in number)
    )
