"""Carriers, their accounts, courier rules and tracking-number pools (面单号池).

A courier rule names an account and says where (provinces, cities) and which weights it takes and
what it costs (first weight + each started additional step). An allocated order gets its courier
from the rules (cheapest eligible, or best priority) unless someone set one by hand; the parcel's
fee is worked out again from its weight at the pack station.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, insert, select, update

from omnistock.fulfillment import rules
from omnistock.fulfillment.models import (
    carrier,
    carrier_account,
    courier_rule,
    order_courier,
    tracking_number,
)
from omnistock.platform.clock import utcnow
from omnistock.platform.errors import Conflict, Invalid, not_found
from omnistock.platform.sql import Sql, raw
from omnistock.platform.uow import UnitOfWork

MANAGE = "fulfillment.courier.manage"


def _code(value: object, what_en: str, what_zh: str) -> str:
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= 32
        or not value.replace("-", "").replace("_", "").isalnum()
    ):
        raise Invalid(
            "fulfillment.bad_code",
            "A {what} code is 1-32 letters, digits, '-' or '_'",
            "{what_zh}编码为 1-32 位字母、数字、横线或下划线",
            what=what_en,
            what_zh=what_zh,
        )
    return value


def _name(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        raise Invalid("fulfillment.bad_name", "A name is 1-100 characters", "名称为 1-100 个字符")
    return value.strip()


def create_carrier(uow: UnitOfWork, *, code: str, name: str) -> int:
    uow.actor.require(MANAGE)
    row = {"code": _code(code, "carrier", "快递公司"), "name": _name(name)}
    if uow.conn.execute(select(carrier.c.id).where(carrier.c.code == code)).first():
        raise Conflict(
            "fulfillment.duplicate_carrier",
            "Carrier {code} already exists",
            "快递公司 {code} 已存在",
            code=code,
        )
    new_id = uow.conn.execute(
        insert(carrier).values(**row, created_at=utcnow()).returning(carrier.c.id)
    ).scalar_one()
    uow.audit("fulfillment.carrier.create", "carrier", code, after=row)
    return new_id


def create_account(uow: UnitOfWork, *, code: str, carrier_code: str, name: str) -> int:
    """A carrier account (电子面单账号): the contract a parcel ships under."""
    uow.actor.require(MANAGE)
    row = {"code": _code(code, "carrier account", "快递账号"), "name": _name(name)}
    carrier_id = uow.conn.execute(select(carrier.c.id).where(carrier.c.code == carrier_code)).scalar()
    if carrier_id is None:
        raise Invalid(
            "fulfillment.unknown_carrier",
            "Unknown carrier {code}",
            "未知的快递公司：{code}",
            code=str(carrier_code)[:32],
        )
    if uow.conn.execute(select(carrier_account.c.id).where(carrier_account.c.code == code)).first():
        raise Conflict(
            "fulfillment.duplicate_account",
            "Carrier account {code} already exists",
            "快递账号 {code} 已存在",
            code=code,
        )
    new_id = uow.conn.execute(
        insert(carrier_account)
        .values(**row, carrier_id=carrier_id, created_at=utcnow())
        .returning(carrier_account.c.id)
    ).scalar_one()
    uow.audit("fulfillment.account.create", "carrier_account", code, after={**row, "carrier": carrier_code})
    return new_id


@dataclass(frozen=True)
class Account:
    id: int
    code: str
    name: str
    carrier: str
    carrier_name: str


def account(uow: UnitOfWork, code: str) -> Account:
    found = [a for a in accounts(uow) if a.code == code]
    if not found:
        raise Invalid(
            "fulfillment.unknown_account",
            "Unknown carrier account {code}",
            "未知的快递账号：{code}",
            code=str(code)[:32],
        )
    return found[0]


def accounts(uow: UnitOfWork) -> list[Account]:
    ca, c = carrier_account.c, carrier.c
    rows = uow.conn.execute(
        select(ca.id, ca.code, ca.name, c.code, c.name)
        .select_from(carrier_account.join(carrier, c.id == ca.carrier_id))
        .order_by(c.code, ca.code)
    )
    return [Account(*r) for r in rows]


def account_by_id(uow: UnitOfWork, account_id: int) -> Account:
    for a in accounts(uow):
        if a.id == account_id:
            return a
    raise not_found("carrier_account", account_id, zh="快递账号")


def list_carriers(uow: UnitOfWork) -> list[dict]:
    """Carriers with their accounts and how many pool numbers each has free and used."""
    tn = tracking_number.c
    counts = {
        (a, used): n
        for a, used, n in uow.conn.execute(
            select(tn.account_id, tn.shipment_id.is_not(None), func.count()).group_by(
                tn.account_id, tn.shipment_id.is_not(None)
            )
        )
    }
    out: dict[str, dict] = {}
    for c_id, code, name in uow.conn.execute(
        select(carrier.c.id, carrier.c.code, carrier.c.name).order_by(carrier.c.code)
    ):
        out[code] = {"id": c_id, "code": code, "name": name, "accounts": []}
    for a in accounts(uow):
        out[a.carrier]["accounts"].append(
            {
                "code": a.code,
                "name": a.name,
                "free_numbers": int(counts.get((a.id, False), 0)),
                "used_numbers": int(counts.get((a.id, True), 0)),
            }
        )
    return list(out.values())


# -- rules -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleIn:
    name: str
    account: str
    priority: int = 100
    provinces: Sequence[str] = ()
    cities: Sequence[str] = ()
    min_weight_g: int = 0
    max_weight_g: int | None = None
    first_weight_g: int = 1000
    first_fee_cents: int = 0
    extra_unit_g: int = 1000
    extra_fee_cents: int = 0
    active: bool = True


def _places(values: Sequence[str]) -> list[str]:
    clean = sorted({v.strip() for v in values or () if isinstance(v, str) and v.strip()})
    if len(clean) > 100 or any(len(v) > 64 for v in clean):
        raise Invalid(
            "fulfillment.bad_places", "At most 100 places of 64 characters", "最多 100 个地区，每个最多 64 字"
        )
    return clean


def save_rule(uow: UnitOfWork, rule: RuleIn, *, rule_id: int | None = None) -> int:
    """Create a courier rule, or replace the one with ``rule_id``."""
    uow.actor.require(MANAGE)
    acc = account(uow, rule.account)
    row = {
        "name": _name(rule.name),
        "account_id": acc.id,
        "priority": rule.priority,
        "provinces": _places(rule.provinces),
        "cities": _places(rule.cities),
        "min_weight_g": rule.min_weight_g,
        "max_weight_g": rule.max_weight_g,
        "first_weight_g": rule.first_weight_g,
        "first_fee_cents": rule.first_fee_cents,
        "extra_unit_g": rule.extra_unit_g,
        "extra_fee_cents": rule.extra_fee_cents,
        "active": bool(rule.active),
    }
    problem = rules.check_rule_numbers(_pure(0, rule.account, row))
    if problem:
        raise Invalid(
            "fulfillment.bad_rule",
            "Weights, fees and priority are whole numbers ≥ 0, the additional step ≥ 1 g and the "
            "weight band from low to high",
            "重量、费用和优先级须为不小于 0 的整数，续重步长至少 1 克，重量区间由低到高",
            problem=problem,
        )
    if rule_id is None:
        rule_id = uow.conn.execute(
            insert(courier_rule).values(**row, created_at=utcnow()).returning(courier_rule.c.id)
        ).scalar_one()
    elif (
        uow.conn.execute(update(courier_rule).where(courier_rule.c.id == rule_id).values(**row)).rowcount != 1
    ):
        raise not_found("courier_rule", rule_id, zh="快递规则")
    uow.audit("fulfillment.rule.save", "courier_rule", rule_id, after={**row, "account": rule.account})
    return rule_id


def _pure(rule_id: int, account_code: str, row) -> rules.CourierRule:
    return rules.CourierRule(
        id=rule_id,
        name=row["name"],
        account=account_code,
        priority=row["priority"],
        provinces=tuple(row["provinces"]),
        cities=tuple(row["cities"]),
        min_weight_g=row["min_weight_g"],
        max_weight_g=row["max_weight_g"],
        first_weight_g=row["first_weight_g"],
        first_fee_cents=row["first_fee_cents"],
        extra_unit_g=row["extra_unit_g"],
        extra_fee_cents=row["extra_fee_cents"],
    )


def list_rules(uow: UnitOfWork, *, active_only: bool = False) -> list[tuple[rules.CourierRule, bool]]:
    """(rule, active) by priority."""
    codes = {a.id: a.code for a in accounts(uow)}
    stmt = select(courier_rule).order_by(courier_rule.c.priority, courier_rule.c.id)
    if active_only:
        stmt = stmt.where(courier_rule.c.active.is_(True))
    return [(_pure(r.id, codes[r.account_id], r._mapping), bool(r.active)) for r in uow.conn.execute(stmt)]


def choose(
    uow: UnitOfWork,
    *,
    province: str,
    city: str,
    weight_g: int,
    strategy: str,
    account_code: str | None = None,
):
    """The courier the active rules choose (of one account only, when named), or None."""
    options = [
        r for r, _ in list_rules(uow, active_only=True) if account_code is None or r.account == account_code
    ]
    return rules.choose_courier(options, province=province, city=city, weight_g=weight_g, strategy=strategy)


_ASSIGN = Sql(
    "INSERT INTO order_courier (order_id, account_id, rule_id, rule_label, updated_at) "
    "VALUES (:order_id, :account_id, :rule_id, :label, :now) ON CONFLICT (order_id) DO UPDATE SET "
    "account_id = excluded.account_id, rule_id = excluded.rule_id, rule_label = excluded.rule_label, "
    "updated_at = excluded.updated_at"
)


def assign(uow: UnitOfWork, order_id: int, account_id: int, rule_id: int | None, label: str) -> None:
    """Give the order its courier (one upsert: concurrent planners never collide on it)."""
    r = raw(uow.conn)
    r.execute(
        _ASSIGN,
        {
            "order_id": order_id,
            "account_id": account_id,
            "rule_id": rule_id,
            "label": label[:120],
            "now": r.dt(utcnow()),
        },
    )


def assigned(uow: UnitOfWork, order_ids: Sequence[int]) -> dict[int, tuple[int, int | None, str]]:
    """order id -> (account id, rule id, label) for orders that have a courier."""
    if not order_ids:
        return {}
    oc = order_courier.c
    rows = uow.conn.execute(
        select(oc.order_id, oc.account_id, oc.rule_id, oc.rule_label).where(oc.order_id.in_(list(order_ids)))
    )
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


# -- tracking-number pools -------------------------------------------------------------------------


def add_numbers(
    uow: UnitOfWork,
    *,
    account_code: str,
    numbers: Sequence[str] = (),
    prefix: str = "",
    first: int | None = None,
    last: int | None = None,
    width: int = 10,
) -> int:
    """Add numbers to an account's pool: a list, or ``prefix`` + a range. A number already in any
    pool refuses the whole import."""
    uow.actor.require(MANAGE)
    acc = account(uow, account_code)
    batch = list(numbers or ())
    if first is not None or last is not None:
        try:
            batch += rules.number_range(
                prefix, first if first is not None else -1, last if last is not None else -1, width
            )
        except ValueError as exc:
            raise Invalid(
                "fulfillment.bad_range",
                "A range runs from a first to a last number (at most {max}) that fit the width",
                "号段须从起始号到结束号（最多 {max} 个），且不超过位数",
                max=rules.MAX_RANGE,
            ) from exc
    if not batch or len(batch) > rules.MAX_RANGE:
        raise Invalid(
            "fulfillment.no_numbers",
            "Give 1 to {max} tracking numbers",
            "请提供 1 到 {max} 个快递单号",
            max=rules.MAX_RANGE,
        )
    bad = next((n for n in batch if not rules.good_number(n)), None)
    if bad is not None:
        raise Invalid(
            "fulfillment.bad_tracking_no",
            "{number} is not a tracking number (6-40 letters, digits or '-')",
            "{number} 不是合法的快递单号（6-40 位字母、数字或横线）",
            number=str(bad)[:40],
        )
    if len(set(batch)) != len(batch):
        raise Invalid("fulfillment.duplicate_numbers", "A number is listed twice", "单号有重复")
    tn = tracking_number.c
    taken = uow.conn.execute(select(tn.number).where(tn.number.in_(batch)).limit(1)).scalar()
    if taken is not None:
        raise Conflict(
            "fulfillment.tracking_used",
            "Tracking number {number} is already in use",
            "快递单号 {number} 已被使用",
            number=taken,
        )
    now = utcnow()
    uow.conn.execute(
        insert(tracking_number), [{"account_id": acc.id, "number": n, "created_at": now} for n in batch]
    )
    uow.audit(
        "fulfillment.pool.add",
        "carrier_account",
        acc.code,
        after={"count": len(batch), "first": batch[0], "last": batch[-1]},
    )
    return len(batch)


_TAKE_NEXT = Sql(
    "UPDATE tracking_number SET shipment_id = :shipment, used_at = :now WHERE id = "
    "(SELECT id FROM tracking_number WHERE account_id = :account AND shipment_id IS NULL ORDER BY id LIMIT 1) "
    "AND shipment_id IS NULL RETURNING number",
    pg="UPDATE tracking_number SET shipment_id = :shipment, used_at = :now WHERE id = "
    "(SELECT id FROM tracking_number WHERE account_id = :account AND shipment_id IS NULL ORDER BY id LIMIT 1 "
    "FOR UPDATE SKIP LOCKED) AND shipment_id IS NULL RETURNING number",
)


def take_next(uow: UnitOfWork, account_id: int, shipment_id: int) -> str:
    """The account's next unused number, now used by ``shipment_id`` (concurrent packers skip the
    rows another holds, so two parcels never get one number)."""
    r = raw(uow.conn)
    row = r.one(_TAKE_NEXT, {"shipment": shipment_id, "now": r.dt(utcnow()), "account": account_id})
    if row is None:
        raise Conflict(
            "fulfillment.pool_empty",
            "The tracking-number pool of this carrier account is empty; import numbers first",
            "该快递账号的面单号池已用完，请先导入单号",
        )
    return row[0]


def use_number(uow: UnitOfWork, number: str, shipment_id: int) -> None:
    """A number typed or scanned: if it is in a pool it is marked used there (once only)."""
    tn = tracking_number.c
    found = uow.conn.execute(select(tn.id, tn.shipment_id).where(tn.number == number)).first()
    if found is None:
        return
    done = uow.conn.execute(
        update(tracking_number)
        .where(and_(tn.id == found.id, tn.shipment_id.is_(None)))
        .values(shipment_id=shipment_id, used_at=utcnow())
    ).rowcount
    if done != 1:
        raise Conflict(
            "fulfillment.tracking_used",
            "Tracking number {number} is already in use",
            "快递单号 {number} 已被使用",
            number=number,
        )
