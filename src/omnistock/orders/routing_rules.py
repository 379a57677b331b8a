"""Warehouse routing (仓库路由): which warehouse ships an order, and how to split one that no
single warehouse can ship. Pure — standard library only.

Rules are tried in priority order (lower number first, then lower id):

* ``channel``  — orders from these channel codes ship from ``warehouse``;
* ``sku``      — orders whose every SKU is in ``skus`` ship from ``warehouse``;
* ``region``   — 属地仓: the receiver's province is in ``provinces`` → ``warehouse``;
* ``fewest_packages`` — any one warehouse that holds every line, preferring those in
  ``warehouses`` (in that order), then the one with most of the order's SKUs available,
  then by code;
* ``fallback`` — ``warehouse``.

A rule that matches but whose warehouse cannot fill every line is passed over for the next.
``choose`` never splits; when it returns None the caller may ``split_plan`` the order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from omnistock.orders.address import normalize_province

ROUTE_KINDS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "channel": ("Channel", "渠道"),
        "sku": ("SKU", "商品"),
        "region": ("Region", "属地"),
        "fewest_packages": ("Fewest packages", "最少包裹"),
        "fallback": ("Fallback", "兜底"),
    }
)

Stock = Mapping[str, Mapping[str, int]]  # warehouse code → SKU code → available quantity


class BadRouteRule(ValueError):
    """A routing rule that may not be stored; ``en`` and ``zh`` say why."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(f"{en} / {zh}")
        self.en = en
        self.zh = zh


@dataclass(frozen=True)
class RouteRule:
    id: int
    kind: str  # one of ROUTE_KINDS
    priority: int  # lower first
    warehouse: str | None  # required except for fewest_packages
    channels: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    enabled: bool = True
    # fewest_packages only: the warehouses to prefer, best first (``warehouse``, if set, comes
    # before them).
    warehouses: tuple[str, ...] = ()


@dataclass(frozen=True)
class RouteFacts:
    channel: str
    province: str | None  # the receiver's province, any spelling normalize_province reads
    lines: Mapping[str, int]  # SKU code → quantity


@dataclass(frozen=True)
class Route:
    warehouse: str
    rule_id: int | None  # None when there were no rules (built-in fewest-packages routing)
    rule_kind: str
    label_en: str
    label_zh: str


def _needed(lines: Mapping[str, int]) -> dict[str, int]:
    """The lines with a quantity to ship; a negative quantity is a caller's bug."""
    out: dict[str, int] = {}
    for sku, qty in lines.items():
        if qty < 0:
            raise ValueError(f"negative quantity {qty} for {sku}")
        if qty:
            out[sku] = qty
    return out


def _available(stock: Stock, warehouse: str, sku: str) -> int:
    return max(0, stock.get(warehouse, {}).get(sku, 0))


def can_fill(stock: Stock, warehouse: str | None, lines: Mapping[str, int]) -> bool:
    """Whether ``warehouse`` alone has every line of ``lines`` available in full."""
    if warehouse is None or warehouse not in stock:
        return False
    return all(_available(stock, warehouse, sku) >= qty for sku, qty in _needed(lines).items())


def _ranked(
    candidates: Sequence[str], lines: Mapping[str, int], stock: Stock, preference: Sequence[str]
) -> list[str]:
    """``candidates`` best first: by ``preference`` order, then most of the order's SKUs
    available in total, then warehouse code."""
    rank = {}
    for code in preference:
        rank.setdefault(code, len(rank))

    def key(code: str) -> tuple[int, int, str]:
        total = sum(_available(stock, code, sku) for sku in lines)
        return (rank.get(code, len(rank)), -total, code)

    return sorted(candidates, key=key)


def _single_warehouse(lines: Mapping[str, int], stock: Stock, preference: Sequence[str]) -> str | None:
    able = [code for code in stock if can_fill(stock, code, lines)]
    ranked = _ranked(able, lines, stock, preference)
    return ranked[0] if ranked else None


def _matches(rule: RouteRule, facts: RouteFacts, lines: Mapping[str, int]) -> bool:
    if rule.kind == "channel":
        return facts.channel.strip() in {c.strip() for c in rule.channels}
    if rule.kind == "sku":
        wanted = {s.strip() for s in rule.skus}
        return bool(lines) and all(sku.strip() in wanted for sku in lines)
    if rule.kind == "region":
        province = normalize_province(facts.province)
        return province is not None and province in {normalize_province(p) for p in rule.provinces}
    return rule.kind in ("fallback", "fewest_packages")


def _label(rule: RouteRule | None, warehouse: str, facts: RouteFacts) -> tuple[str, str]:
    if rule is None:
        return (
            f"No routing rules: {warehouse} can ship the whole order",
            f"未设路由规则：{warehouse} 可整单发货",
        )
    tag_en, tag_zh = ROUTE_KINDS[rule.kind]
    head_en, head_zh = f"{tag_en} rule #{rule.id}", f"{tag_zh}规则 #{rule.id}"
    if rule.kind == "channel":
        return (
            f"{head_en}: channel {facts.channel} ships from {warehouse}",
            f"{head_zh}：渠道 {facts.channel} 从 {warehouse} 发货",
        )
    if rule.kind == "sku":
        return (
            f"{head_en}: these SKUs ship from {warehouse}",
            f"{head_zh}：这些商品从 {warehouse} 发货",
        )
    if rule.kind == "region":
        province = normalize_province(facts.province)
        return (
            f"{head_en}: {province} ships from the local warehouse {warehouse}",
            f"{head_zh}：{province} 由属地仓 {warehouse} 发货",
        )
    if rule.kind == "fewest_packages":
        return (
            f"{head_en}: {warehouse} can ship the whole order in one package",
            f"{head_zh}：{warehouse} 可整单一个包裹发货",
        )
    return (
        f"{head_en}: ships from {warehouse}",
        f"{head_zh}：从 {warehouse} 发货",
    )


def choose(rules: Sequence[RouteRule], facts: RouteFacts, stock: Stock) -> Route | None:
    """The warehouse to ship the whole order from, and the rule that picked it.

    Enabled rules are tried by (priority, id); the first that matches and names a warehouse
    able to fill every line wins. None when no rule yields such a warehouse. With no rules at
    all (none given, or all disabled: no configuration), it routes as ``fewest_packages``.
    """
    lines = _needed(facts.lines)
    active = sorted((r for r in rules if r.enabled), key=lambda r: (r.priority, r.id))
    if not active:
        warehouse = _single_warehouse(lines, stock, ())
        if warehouse is None:
            return None
        return Route(warehouse, None, "fewest_packages", *_label(None, warehouse, facts))
    for rule in active:
        if rule.kind not in ROUTE_KINDS or not _matches(rule, facts, lines):
            continue
        if rule.kind == "fewest_packages":
            preference = ((rule.warehouse,) if rule.warehouse else ()) + tuple(rule.warehouses)
            warehouse = _single_warehouse(lines, stock, preference)
        else:
            warehouse = rule.warehouse if can_fill(stock, rule.warehouse, lines) else None
        if warehouse is not None:
            return Route(warehouse, rule.id, rule.kind, *_label(rule, warehouse, facts))
    return None


def split_plan(
    lines: Mapping[str, int], stock: Stock, preference: Sequence[str] = ()
) -> list[tuple[str, dict[str, int]]] | None:
    """Packages (warehouse, SKU → quantity) that together ship ``lines``, as few as practical.

    * One warehouse able to fill everything → that one package (ranked as fewest_packages).
    * Otherwise warehouses are taken greedily, each time the one covering the most of what
      is still unshipped (then the one holding the most lines whole; ties by ``preference``,
      then code), until nothing is left.
    * Quantities are then laid over the chosen warehouses so that a line is split only when
      no chosen warehouse holds it whole; a warehouse left with nothing is dropped.

    None when the warehouses together do not have enough of some SKU; [] for an empty order.
    """
    needed = _needed(lines)
    if not needed:
        return []
    for sku, qty in needed.items():
        if sum(_available(stock, code, sku) for code in stock) < qty:
            return None
    single = _single_warehouse(needed, stock, preference)
    if single is not None:
        return [(single, dict(needed))]

    rank = {}
    for code in preference:
        rank.setdefault(code, len(rank))

    # 1. Which warehouses: greedy cover of the remaining quantity.
    remaining = dict(needed)
    chosen: list[str] = []

    def score(code: str) -> tuple[int, int, int, str]:
        covered = sum(min(_available(stock, code, sku), qty) for sku, qty in remaining.items())
        whole = sum(1 for sku, qty in remaining.items() if _available(stock, code, sku) >= qty)
        return (-covered, -whole, rank.get(code, len(rank)), code)

    while remaining:
        best = min((code for code in stock if code not in chosen), key=score)
        if score(best)[0] == 0:  # pragma: no cover - totals were checked above
            return None
        chosen.append(best)
        for sku in list(remaining):
            remaining[sku] -= min(_available(stock, best, sku), remaining[sku])
            if remaining[sku] == 0:
                del remaining[sku]

    # 2. How much from each: whole lines where a chosen warehouse has them, else split.
    packages: dict[str, dict[str, int]] = {code: {} for code in chosen}
    for sku, qty in needed.items():
        whole = next((code for code in chosen if _available(stock, code, sku) >= qty), None)
        if whole is not None:
            packages[whole][sku] = qty
            continue
        left = qty
        by_most = sorted(chosen, key=lambda code: (-_available(stock, code, sku), chosen.index(code)))
        for code in by_most:
            take = min(_available(stock, code, sku), left)
            if take:
                packages[code][sku] = take
                left -= take
            if not left:
                break
    return [(code, packages[code]) for code in chosen if packages[code]]


def validate_rule(rule: RouteRule) -> None:
    """Raise ``BadRouteRule`` (a ``ValueError`` with ``en`` and ``zh``) for a rule that may not
    be stored: unknown kind; no warehouse (except ``fewest_packages``); a channel rule without
    channels, a SKU rule without SKUs, a region rule without provinces or naming an unknown
    province; a priority that is not a whole number."""
    if rule.kind not in ROUTE_KINDS:
        raise BadRouteRule(
            f"unknown routing rule kind {rule.kind!r}; known: {', '.join(ROUTE_KINDS)}",
            f"未知的路由规则类型“{rule.kind}”；可用：{'、'.join(ROUTE_KINDS)}",
        )
    if isinstance(rule.priority, bool) or not isinstance(rule.priority, int):
        raise BadRouteRule("the priority must be a whole number", "优先级必须是整数")
    if rule.kind != "fewest_packages" and not (rule.warehouse or "").strip():
        raise BadRouteRule(
            f"a {rule.kind} rule must name a warehouse", f"{ROUTE_KINDS[rule.kind][1]}规则必须指定仓库"
        )
    needs = {
        "channel": ("channels", "channels", "渠道"),
        "sku": ("skus", "SKUs", "商品"),
        "region": ("provinces", "provinces", "省份"),
    }
    if rule.kind in needs:
        attr, en, zh = needs[rule.kind]
        values = getattr(rule, attr)
        if not values or any(not (v or "").strip() for v in values):
            raise BadRouteRule(
                f"a {rule.kind} rule needs one or more {en}, none blank",
                f"{ROUTE_KINDS[rule.kind][1]}规则至少需要一个{zh}，且不能为空",
            )
    if rule.kind == "region":
        unknown = [p for p in rule.provinces if normalize_province(p) is None]
        if unknown:
            raise BadRouteRule(
                f"unknown province: {', '.join(unknown)}", f"无法识别的省份：{'、'.join(unknown)}"
            )
    for code in rule.warehouses:
        if not (code or "").strip():
            raise BadRouteRule("a preferred warehouse code is blank", "首选仓库编码不能为空")
