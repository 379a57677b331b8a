"""What operators configure in the order pool: auto-review rules, the blacklist, warehouse routing
rules and the pool's settings. Read on every intake with prepared SQL (small tables; no process
cache, so every worker process sees a change at once)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update

from omnistock.inventory import service as inventory
from omnistock.orders import address as addr_rules
from omnistock.orders import review_rules, routing_rules
from omnistock.orders.intake import Address
from omnistock.orders.models import blacklist_entry, order_setting, review_rule, route_rule
from omnistock.platform.cache import TtlCache
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import Invalid, NotFound
from omnistock.platform.sql import Sql, raw
from omnistock.platform.uow import UnitOfWork

MANAGE = "orders.rule.manage"

# The pool's settings and their defaults.
SETTINGS: dict[str, Any] = {
    "auto_split": True,  # an order no one warehouse can fill is split over several
}


def _bad_params(exc: Exception) -> Invalid:
    en, zh = getattr(exc, "en", str(exc)), getattr(exc, "zh", str(exc))
    return Invalid("orders.bad_rule", "{detail}", "{detail_zh}", detail=en, detail_zh=zh)


# -- auto-review rules ------------------------------------------------------------------------------


_REVIEW_RULES = Sql("SELECT kind, enabled, params FROM review_rule")


# The review and routing rules are read on every intake: kept per process for a moment
# (``TtlCache``), forgotten at once here when one changes.
_rules = TtlCache("order rules")


def review_config(uow: UnitOfWork) -> list[review_rules.RuleConfig]:
    """Every rule kind, as stored or with its defaults (every rule starts switched on)."""
    return _rules.get(uow.conn.engine, "review", lambda: _read_review_config(uow))


def _read_review_config(uow: UnitOfWork) -> list[review_rules.RuleConfig]:
    r = raw(uow.conn)
    stored = {kind: (bool(enabled), r.read_json(params)) for kind, enabled, params in r.all(_REVIEW_RULES)}
    out = []
    for kind, spec in review_rules.RULE_KINDS.items():
        enabled, params = stored.get(kind, (True, None))
        out.append(review_rules.RuleConfig(kind, enabled, {**spec.default_params, **(params or {})}))
    return out


def set_review_rule(
    uow: UnitOfWork, kind: str, *, enabled: bool, params: dict | None = None
) -> review_rules.RuleConfig:
    uow.actor.require(MANAGE)
    if kind not in review_rules.RULE_KINDS:
        raise Invalid(
            "orders.unknown_rule", "Unknown review rule {kind}", "未知的审单规则：{kind}", kind=str(kind)[:40]
        )
    try:
        clean = review_rules.validate_params(kind, params or {})
    except ValueError as exc:
        raise _bad_params(exc) from exc
    before = next((r for r in review_config(uow) if r.kind == kind), None)
    _rules.forget(uow)
    row = {"enabled": bool(enabled), "params": clean, "updated_at": utcnow()}
    if uow.conn.execute(update(review_rule).where(review_rule.c.kind == kind).values(**row)).rowcount == 0:
        uow.conn.execute(review_rule.insert().values(kind=kind, **row))
    uow.audit(
        "orders.review_rule.update",
        "review_rule",
        kind,
        before={"enabled": before.enabled, "params": before.params} if before else None,
        after={"enabled": row["enabled"], "params": clean},
    )
    return review_rules.RuleConfig(kind, row["enabled"], clean)


# -- blacklist --------------------------------------------------------------------------------------

BLACKLIST_KINDS = ("buyer", "phone", "address")


def _normalised(kind: str, value: str) -> str | None:
    value = (value or "").strip()
    if kind == "phone":
        return addr_rules.normalize_phone(value)
    if kind == "address":  # "province|city|district|detail", normalised like an order's address
        parts = value.split("|")
        if len(parts) != 4 or not parts[3].strip():
            return None
        return addr_rules.address_key(Address("", "", *parts))
    return value or None


def blacklist_hits(uow: UnitOfWork, candidates: Sequence[tuple[str, str]]) -> list[str]:
    """Which of the order's (kind, value) pairs are on the blacklist, as ``kind:value``."""
    pairs = [(k, v) for k, v in candidates if v]
    if not pairs:
        return []
    params = {}
    for i, (k, v) in enumerate(pairs):
        params[f"k{i}"], params[f"v{i}"] = k, v
    return [f"{k}:{v}" for k, v in raw(uow.conn).all(_blacklist_sql(len(pairs)), params)]


@functools.cache
def _blacklist_sql(n: int) -> Sql:
    match = " OR ".join(f"(kind = :k{i} AND value = :v{i})" for i in range(n))
    return Sql(f"SELECT kind, value FROM blacklist_entry WHERE {match}")


def list_blacklist(uow: UnitOfWork) -> list[dict]:
    b = blacklist_entry.c
    return [dict(r._mapping) for r in uow.conn.execute(select(blacklist_entry).order_by(b.kind, b.value))]


def add_blacklist(uow: UnitOfWork, *, kind: str, value: str, note: str | None = None) -> dict:
    uow.actor.require(MANAGE)
    if kind not in BLACKLIST_KINDS:
        raise Invalid(
            "orders.bad_blacklist_kind",
            "A blacklist entry is a buyer, a phone or an address",
            "黑名单类型必须是买家、电话或地址",
        )
    clean = _normalised(kind, value)
    if not clean or len(clean) > 300:
        raise Invalid(
            "orders.bad_blacklist_value",
            "{value} is not a valid {kind}",
            "{value} 不是有效的{kind_zh}",
            value=str(value)[:60],
            kind=kind,
            kind_zh={"buyer": "买家", "phone": "电话", "address": "地址"}[kind],
        )
    b = blacklist_entry.c
    existing = uow.conn.execute(select(blacklist_entry).where(b.kind == kind, b.value == clean)).first()
    if existing is not None:
        return dict(existing._mapping)
    row = {"kind": kind, "value": clean, "note": (note or "")[:200] or None, "created_at": utcnow()}
    new_id = uow.conn.execute(blacklist_entry.insert().values(**row).returning(b.id)).scalar_one()
    uow.audit("orders.blacklist.add", "blacklist", f"{kind}:{clean}", after={"note": row["note"]})
    return {"id": new_id, **row}


def remove_blacklist(uow: UnitOfWork, entry_id: int) -> None:
    uow.actor.require(MANAGE)
    b = blacklist_entry.c
    row = uow.conn.execute(select(blacklist_entry).where(b.id == entry_id)).first()
    if row is None:
        raise NotFound("orders.unknown_blacklist", "No such blacklist entry", "黑名单条目不存在")
    uow.conn.execute(delete(blacklist_entry).where(b.id == entry_id))
    uow.audit("orders.blacklist.remove", "blacklist", f"{row.kind}:{row.value}", before={"note": row.note})


# -- routing rules ----------------------------------------------------------------------------------


_ROUTE_RULES = Sql(
    "SELECT id, kind, priority, warehouse_id, channels, skus, provinces, enabled FROM route_rule "
    "WHERE enabled OR :all ORDER BY priority, id"
)


def route_rules(uow: UnitOfWork, *, enabled_only: bool = True) -> list[routing_rules.RouteRule]:
    """The routing rules by (priority, id)."""
    return _rules.get(uow.conn.engine, ("routes", enabled_only), lambda: _read_route_rules(uow, enabled_only))


def _read_route_rules(uow: UnitOfWork, enabled_only: bool) -> list[routing_rules.RouteRule]:
    r = raw(uow.conn)
    return [
        routing_rules.RouteRule(
            id=rule_id,
            kind=kind,
            priority=priority,
            warehouse=inventory.warehouse_code(uow, wh_id) if wh_id else None,
            channels=tuple(r.read_json(channels) or ()),
            skus=tuple(r.read_json(skus) or ()),
            provinces=tuple(r.read_json(provinces) or ()),
            enabled=bool(enabled),
        )
        for rule_id, kind, priority, wh_id, channels, skus, provinces, enabled in r.all(
            _ROUTE_RULES, {"all": not enabled_only}
        )
    ]


def list_route_rules(uow: UnitOfWork) -> list[dict]:
    r = route_rule.c
    rows = uow.conn.execute(select(route_rule).order_by(r.priority, r.id)).all()
    return [_rule_view(uow, x) for x in rows]


def _rule_view(uow: UnitOfWork, x) -> dict:
    return {
        "id": x.id,
        "name": x.name,
        "kind": x.kind,
        "priority": x.priority,
        "warehouse": inventory.warehouse_code(uow, x.warehouse_id) if x.warehouse_id else None,
        "channels": list(x.channels or ()),
        "skus": list(x.skus or ()),
        "provinces": list(x.provinces or ()),
        "enabled": x.enabled,
    }


def save_route_rule(
    uow: UnitOfWork,
    rule_id: int | None,
    *,
    name: str,
    kind: str,
    priority: int,
    warehouse: str | None,
    channels: Sequence[str] = (),
    skus: Sequence[str] = (),
    provinces: Sequence[str] = (),
    enabled: bool = True,
) -> dict:
    """Create (``rule_id`` None) or replace a routing rule."""
    uow.actor.require(MANAGE)
    provinces = [addr_rules.normalize_province(p) or p for p in provinces]
    candidate = routing_rules.RouteRule(
        id=rule_id or 0,
        kind=kind,
        priority=priority,
        warehouse=warehouse,
        channels=tuple(channels),
        skus=tuple(skus),
        provinces=tuple(provinces),
        enabled=enabled,
    )
    try:
        routing_rules.validate_rule(candidate)
    except ValueError as exc:
        raise _bad_params(exc) from exc
    if not name or len(name) > 100:
        raise Invalid(
            "orders.bad_rule_name", "A rule needs a name of 1-100 characters", "规则名称必须是 1-100 个字符"
        )
    wh_id = inventory.warehouse_ref(uow, warehouse).id if warehouse else None
    row = {
        "name": name,
        "kind": kind,
        "priority": priority,
        "warehouse_id": wh_id,
        "channels": list(channels),
        "skus": list(skus),
        "provinces": list(provinces),
        "enabled": enabled,
    }
    r = route_rule.c
    _rules.forget(uow)
    if rule_id is None:
        rule_id = uow.conn.execute(
            route_rule.insert().values(**row, created_at=utcnow()).returning(r.id)
        ).scalar_one()
        uow.audit("orders.route_rule.create", "route_rule", rule_id, after=row)
    else:
        before = uow.conn.execute(select(route_rule).where(r.id == rule_id)).first()
        if before is None:
            raise NotFound("orders.unknown_route_rule", "No such routing rule", "路由规则不存在")
        uow.conn.execute(update(route_rule).where(r.id == rule_id).values(**row))
        uow.audit(
            "orders.route_rule.update", "route_rule", rule_id, before=_rule_view(uow, before), after=row
        )
    return _rule_view(uow, uow.conn.execute(select(route_rule).where(r.id == rule_id)).one())


def delete_route_rule(uow: UnitOfWork, rule_id: int) -> None:
    uow.actor.require(MANAGE)
    r = route_rule.c
    before = uow.conn.execute(select(route_rule).where(r.id == rule_id)).first()
    if before is None:
        raise NotFound("orders.unknown_route_rule", "No such routing rule", "路由规则不存在")
    _rules.forget(uow)
    uow.conn.execute(delete(route_rule).where(r.id == rule_id))
    uow.audit("orders.route_rule.delete", "route_rule", rule_id, before=_rule_view(uow, before))


# -- settings ---------------------------------------------------------------------------------------


def setting(uow: UnitOfWork, key: str) -> Any:
    value = uow.conn.execute(select(order_setting.c.value).where(order_setting.c.key == key)).scalar()
    return SETTINGS[key] if value is None else value


def settings(uow: UnitOfWork) -> dict[str, Any]:
    stored = dict(uow.conn.execute(select(order_setting.c.key, order_setting.c.value)).all())
    return {k: stored.get(k, v) for k, v in SETTINGS.items()}


def set_setting(uow: UnitOfWork, key: str, value: Any) -> None:
    uow.actor.require(MANAGE)
    if key not in SETTINGS or type(value) is not type(SETTINGS[key]):
        raise Invalid(
            "orders.bad_setting",
            "Unknown setting or wrong type: {key}",
            "未知的设置或类型错误：{key}",
            key=str(key)[:40],
        )
    before = setting(uow, key)
    if (
        uow.conn.execute(update(order_setting).where(order_setting.c.key == key).values(value=value)).rowcount
        == 0
    ):
        uow.conn.execute(order_setting.insert().values(key=key, value=value))
    uow.audit("orders.setting.update", "order_setting", key, before={"value": before}, after={"value": value})
