"""The demo company (演示数据): a multi-channel seller with three warehouses, a real-looking
catalog, suppliers, customers and three months of stock and order history in every state.

Everything goes through the same services the API uses, so the demo is also a smoke test of
them. Deterministic: the same data every time.
"""

from __future__ import annotations

import datetime as dt
import random

from rich.console import Console
from sqlalchemy import Engine, func, select

from omnistock.catalog import service as catalog
from omnistock.finance import arap, profit, reconcile
from omnistock.finance import service as finance
from omnistock.fulfillment import service as fulfillment
from omnistock.identity import service as identity
from omnistock.identity.models import users
from omnistock.inventory import service as inventory
from omnistock.orders import service as orders
from omnistock.orders.intake import Address, Buyer, IntakeLine, IntakeOrder, Payment
from omnistock.platform import migrate
from omnistock.platform.auth import Actor
from omnistock.platform.errors import AppError
from omnistock.platform.uow import UnitOfWork
from omnistock.purchasing import service as purchasing

ADMIN_USER = "admin"
ADMIN_PASSWORD = "OmniStock#2026"
STAFF_PASSWORD = "Demo#2026-staff"

WAREHOUSES = [("WH-SH", "上海青浦仓"), ("WH-GZ", "广州白云仓"), ("WH-CD", "成都双流仓")]
CHANNELS = [
    ("WX-MINI", "微信小程序商城", "wechat_mini"),
    ("GROUP-BUY", "社区团购", "community_group"),
    ("LIVE-DY", "抖音直播间", "live_stream"),
    ("DIST", "分销商", "distributor"),
    ("STORE-SH", "上海静安门店", "offline_store"),
    ("TMALL", "天猫旗舰店", "marketplace"),
]
# Where buyers live: (province, city, district, street) — routed to the nearest warehouse.
PLACES = [
    ("上海市", "上海市", "浦东新区", "张江路 {n} 号"),
    ("上海市", "上海市", "徐汇区", "漕溪北路 {n} 号"),
    ("浙江省", "杭州市", "西湖区", "文三路 {n} 号"),
    ("江苏省", "南京市", "鼓楼区", "中山北路 {n} 号"),
    ("广东省", "广州市", "天河区", "体育西路 {n} 号"),
    ("广东省", "深圳市", "南山区", "科苑路 {n} 号"),
    ("福建省", "厦门市", "思明区", "湖滨南路 {n} 号"),
    ("四川省", "成都市", "武侯区", "天府大道 {n} 号"),
    ("重庆市", "重庆市", "渝中区", "解放碑步行街 {n} 号"),
    ("北京市", "北京市", "朝阳区", "建国路 {n} 号"),
]
PAY_BY_CHANNEL = {
    "WX-MINI": "wechat_pay",
    "GROUP-BUY": "wechat_pay",
    "LIVE-DY": "alipay",
    "DIST": "bank_card",
    "STORE-SH": "bank_card",
    "TMALL": "alipay",
}
REMARKS = ["", "", "", "", "请尽快发货", "工作日送货", "需要开发票", "送人的，不要放价格单", "改地址：见留言"]
# Channel fees in basis points (commission, payment fee, distributor commission): a marketplace
# takes 5 % and a live stream 10 % plus 0.6 % for payment; the distributor earns 3 %.
FEE_RATES = {
    "WX-MINI": (0, 60, 0),
    "GROUP-BUY": (300, 60, 0),
    "LIVE-DY": (1000, 60, 0),
    "DIST": (0, 0, 300),
    "STORE-SH": (0, 38, 0),
    "TMALL": (500, 60, 0),
}

SUPPLIERS = [
    ("SUP-TEX", "杭州织造服饰有限公司"),
    ("SUP-FOOD", "云南高原食品有限公司"),
    ("SUP-ELEC", "深圳华强电子科技有限公司"),
    ("SUP-HOME", "义乌优品家居有限公司"),
]
# Supplier terms: (contact, phone, lead time days, payment terms, pack size of what they supply)
SUPPLIER_TERMS = {
    "SUP-TEX": ("陈经理", "0571-88886666", 10, "月结30天", 10),
    "SUP-FOOD": ("杨主管", "0871-66668888", 7, "款到发货", 12),
    "SUP-ELEC": ("刘工", "0755-83338888", 5, "月结60天", 5),
    "SUP-HOME": ("吴小姐", "0579-85556666", 14, "月结30天", 6),
}
# (code, name, unit, price yuan, cost method, safety stock, supplier, cost ratio)
PRODUCTS = [
    *[
        (f"TS-COT-{c}-{s}", f"纯棉圆领T恤 {cn} {s}", "件", 79, "average", 10, "SUP-TEX", 0.38)
        for c, cn in (("WHT", "白色"), ("BLK", "黑色"))
        for s in ("S", "M", "L", "XL")
    ],
    *[
        (f"JK-DWN-{c}-{s}", f"轻薄羽绒服 {cn} {s}", "件", 399, "fifo", 5, "SUP-TEX", 0.45)
        for c, cn in (("NVY", "藏青"), ("KHK", "卡其"))
        for s in ("M", "L", "XL")
    ],
    ("FD-TEA-PUER-357", "普洱熟茶饼 357g", "饼", 168, "fifo", 20, "SUP-FOOD", 0.42),
    ("FD-NUT-MIX-500", "每日坚果礼盒 500g", "盒", 89, "fifo", 30, "SUP-FOOD", 0.55),
    ("FD-HONEY-250", "高原野蜂蜜 250g", "瓶", 59, "fifo", 20, "SUP-FOOD", 0.40),
    ("FD-COFFEE-DRIP", "云南小粒咖啡挂耳 10包", "盒", 49, "average", 40, "SUP-FOOD", 0.35),
    ("EL-EARBUD-PRO", "降噪蓝牙耳机 Pro", "台", 499, "average", 10, "SUP-ELEC", 0.58),
    ("EL-PWRBANK-20K", "20000mAh 快充移动电源", "台", 159, "average", 15, "SUP-ELEC", 0.52),
    ("EL-CABLE-C2C", "USB-C 数据线 1m", "根", 29, "average", 50, "SUP-ELEC", 0.30),
    ("HM-MUG-CER", "陶瓷马克杯 350ml", "个", 39, "average", 30, "SUP-HOME", 0.33),
    ("HM-TOWEL-SET", "长绒棉毛巾三件套", "套", 99, "fifo", 15, "SUP-HOME", 0.40),
]
# The catalog around those SKUs: categories (code, name, parent), brands, and products that group
# them. Apparel SKUs are the rows of a colour × size matrix; every SKU gets an EAN-13 barcode.
CATEGORIES = [
    ("APPAREL", "服装", None),
    ("TOPS", "上衣", "APPAREL"),
    ("OUTERWEAR", "外套", "APPAREL"),
    ("FOOD", "食品", None),
    ("TEA-COFFEE", "茶叶咖啡", "FOOD"),
    ("SNACKS", "零食坚果", "FOOD"),
    ("DIGITAL", "数码配件", None),
    ("HOME", "家居日用", None),
]
BRANDS = [
    ("COTTONFIELD", "棉田"),
    ("YUNLING", "云岭山货"),
    ("VOLTX", "沃特斯"),
    ("YOUPIN", "优品家居"),
]
# product code -> (name, category, brand, description, attributes as (name, [(value, code part)]))
MATRIX_PRODUCTS = {
    "TS-COT": (
        "纯棉圆领T恤",
        "TOPS",
        "COTTONFIELD",
        "新疆长绒棉，200g 精梳面料，四季可穿。",
        [("颜色", [("白色", "WHT"), ("黑色", "BLK")]), ("尺码", [(s, s) for s in ("S", "M", "L", "XL")])],
    ),
    "JK-DWN": (
        "轻薄羽绒服",
        "OUTERWEAR",
        "COTTONFIELD",
        "90% 白鸭绒，可收纳成小包。",
        [("颜色", [("藏青", "NVY"), ("卡其", "KHK")]), ("尺码", [(s, s) for s in ("M", "L", "XL")])],
    ),
}
# SKU code -> (category, brand, shelf life days, tracking) of the single-SKU products
SINGLE_PRODUCTS = {
    "FD-TEA-PUER-357": ("TEA-COFFEE", "YUNLING", 3650, "batch"),
    "FD-NUT-MIX-500": ("SNACKS", "YUNLING", 180, "batch"),
    "FD-HONEY-250": ("SNACKS", "YUNLING", 730, "batch"),
    "FD-COFFEE-DRIP": ("TEA-COFFEE", "YUNLING", 365, "none"),
    "EL-EARBUD-PRO": ("DIGITAL", "VOLTX", None, "serial"),
    "EL-PWRBANK-20K": ("DIGITAL", "VOLTX", None, "none"),
    "EL-CABLE-C2C": ("DIGITAL", "VOLTX", None, "none"),
    "HM-MUG-CER": ("HOME", "YOUPIN", None, "none"),
    "HM-TOWEL-SET": ("HOME", "YOUPIN", None, "none"),
}
# Bundles (组合套餐): code, name, unit, price yuan, components (SKU, qty)
BUNDLES = [
    (
        "GIFT-TEA-BOX",
        "中秋茶礼盒（普洱+蜂蜜+马克杯）",
        "盒",
        299,
        [("FD-TEA-PUER-357", 1), ("FD-HONEY-250", 2), ("HM-MUG-CER", 1)],
    ),
    ("KIT-TS-DUO", "情侣T恤两件套（白 M + 黑 L）", "套", 149, [("TS-COT-WHT-M", 1), ("TS-COT-BLK-L", 1)]),
]


def ean13(n: int) -> str:
    """The n-th demo EAN-13 barcode (prefix 690, a check digit that scanners accept)."""
    body = f"6901234{n:05d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _load_catalog(uow: UnitOfWork) -> None:
    """Categories, brands, products with their SKUs and barcodes, and the bundles."""
    for sort, (code, name, parent) in enumerate(CATEGORIES):
        catalog.create_category(uow, code=code, name=name, parent=parent, sort=sort)
    for code, name in BRANDS:
        catalog.create_brand(uow, code=code, name=name)
    by_code = {p[0]: p for p in PRODUCTS}
    barcodes = iter(range(1, 10_000))

    def spec(code: str, attributes: dict[str, str] | None = None):
        _, name, unit, price, method, safety, _, _ = by_code[code]
        tracking = SINGLE_PRODUCTS.get(code, (None, None, None, "none"))[3]
        shelf_life = SINGLE_PRODUCTS.get(code, (None, None, None, None))[2]
        return catalog.NewSku(
            code=code,
            name=name,
            unit=unit,
            price_cents=price * 100,
            cost_method=method,
            safety_stock=safety,
            attributes=attributes,
            barcodes=[ean13(next(barcodes))],
            tracking=tracking,
            shelf_life_days=shelf_life,
        )

    for code, (name, category, brand, description, attrs) in MATRIX_PRODUCTS.items():
        (a_name, a_values), (b_name, b_values) = attrs
        catalog.create_product(
            uow,
            code=code,
            name=name,
            category=category,
            brand=brand,
            description=description,
            attributes=[{"name": n, "values": [v for v, _ in vs]} for n, vs in attrs],
            skus=[
                spec(f"{code}-{ac}-{bc}", {a_name: av, b_name: bv})
                for av, ac in a_values
                for bv, bc in b_values
            ],
        )
    for code, (category, brand, _, _) in SINGLE_PRODUCTS.items():
        catalog.create_product(
            uow, code=code, name=by_code[code][1], category=category, brand=brand, skus=[spec(code)]
        )
    for code, name, unit, price, parts in BUNDLES:
        catalog.create_sku(
            uow,
            code=code,
            name=name,
            unit=unit,
            price_cents=price * 100,
            cost_method="average",
            kind="bundle",
            components=[catalog.Component(c, q) for c, q in parts],
            barcodes=[ean13(next(barcodes))],
        )


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "桂英",
    "建华",
]


def is_empty(engine: Engine) -> bool:
    migrate.upgrade(engine)
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(users)).scalar_one() == 0


def load(
    engine: Engine, *, progress: Console | None = None, days: int = 90, orders_per_day: int = 40
) -> None:
    """Load the demo company into an empty database."""
    out = progress or Console(stderr=True)
    migrate.upgrade(engine)
    rnd = random.Random(2026)
    actor = Actor.system("demo")

    def tx():
        return UnitOfWork(engine, actor)

    customers: list[tuple[str, str, tuple[str, str, str, str]]] = []  # name, phone, place
    with tx() as uow:
        identity.ensure_builtin_roles(uow)
        identity.create_user(
            uow,
            username=ADMIN_USER,
            password=ADMIN_PASSWORD,
            display_name="系统管理员",
            roles=[identity.ADMIN_ROLE],
            scopes={},
        )
        identity.create_user(
            uow,
            username="wangfang",
            password=STAFF_PASSWORD,
            display_name="王芳（上海仓主管）",
            roles=["warehouse"],
            scopes={"warehouse": ["WH-SH"]},
        )
        identity.create_user(
            uow,
            username="liqiang",
            password=STAFF_PASSWORD,
            display_name="李强（商品运营）",
            roles=["merchandiser"],
            scopes={},
        )
        identity.create_user(
            uow,
            username="zhaomin",
            password=STAFF_PASSWORD,
            display_name="赵敏（会计）",
            roles=["accountant"],
            scopes={},
        )
        for code, name in WAREHOUSES:
            inventory.create_warehouse(uow, code=code, name=name)
        for code, name, kind in CHANNELS:
            orders.create_channel(uow, code=code, name=name, kind=kind)
        for code, (commission, fee, distributor) in FEE_RATES.items():  # profit's estimates
            profit.set_rates(
                uow,
                channel_code=code,
                commission_bp=commission,
                payment_fee_bp=fee,
                distributor_bp=distributor,
            )
        identity.create_user(
            uow,
            username="zhoujie",
            password=STAFF_PASSWORD,
            display_name="周杰（采购员）",
            roles=["purchaser"],
            scopes={},
        )
        identity.create_user(
            uow,
            username="sunli",
            password=STAFF_PASSWORD,
            display_name="孙丽（采购经理）",
            roles=["purchase_manager"],
            scopes={},
        )
        for code, name in SUPPLIERS:
            contact, phone, lead, terms, _ = SUPPLIER_TERMS[code]
            purchasing.create_supplier(
                uow,
                code=code,
                name=name,
                fields=purchasing.SupplierFields(
                    contact_name=contact, phone=phone, lead_time_days=lead, payment_terms=terms
                ),
            )
        _load_catalog(uow)
        for p in PRODUCTS:  # what each supplier supplies, at about the cost the receipts carry
            pack = SUPPLIER_TERMS[p[6]][4]
            purchasing.set_supplier_sku(
                uow,
                p[6],
                sku=p[0],
                price_cents=int(p[3] * 100 * p[7]),
                moq=pack * 2,
                pack_size=pack,
                preferred=True,
            )
        for i in range(1, 301):
            name = rnd.choice(SURNAMES) + rnd.choice(GIVEN)
            phone = f"1{rnd.choice('3578')}{rnd.randint(0, 999999999):09d}"
            orders.create_customer(uow, code=f"C{i:05d}", name=name, phone=phone)
            place = rnd.choice(PLACES)
            street = (
                place[3].format(n=rnd.randint(1, 999))
                + f" {rnd.randint(1, 30)} 栋 {rnd.randint(101, 2808)} 室"
            )
            customers.append((name, phone, (*place[:3], street)))
        # Orders ship from the warehouse of their region (属地仓), else any that holds them all.
        for name, wh, provinces in (
            ("华南属地仓", "WH-GZ", ["广东省", "福建省", "广西壮族自治区", "海南省"]),
            ("西南属地仓", "WH-CD", ["四川省", "重庆市", "云南省", "贵州省"]),
            ("华东属地仓", "WH-SH", ["上海市", "浙江省", "江苏省", "安徽省"]),
        ):
            orders.save_route_rule(
                uow, None, name=name, kind="region", priority=10, warehouse=wh, provinces=provinces
            )
        orders.add_blacklist(uow, kind="phone", value="13000000000", note="恶意退款")
    out.print(
        f"demo: users, roles, warehouses, channels, suppliers, {len(CATEGORIES)} categories, "
        f"{len(BRANDS)} brands, {len(MATRIX_PRODUCTS) + len(SINGLE_PRODUCTS)} products with "
        f"{len(PRODUCTS)} SKUs and {len(BUNDLES)} bundles, 300 customers"
    )

    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=days)
    clock = [start]

    def tick(max_minutes: int = 40) -> dt.datetime:
        clock[0] += dt.timedelta(minutes=rnd.randint(1, max_minutes), seconds=rnd.randint(0, 59))
        return clock[0]

    n = {"receipt": 0, "order": 0, "transfer": 0, "count": 0, "adjustment": 0, "serial": 0}

    def receipt_line(p: tuple, at: dt.datetime) -> inventory.ReceiptLine:
        """A line of a delivery: food arrives as a batch made some days or weeks ago (nuts now
        and then close to their shelf life), electronics with one serial number per unit."""
        qty, unit = rnd.randint(40, 160), int(p[3] * 100 * p[7] * rnd.uniform(0.92, 1.08))
        track = tracking(p[0])
        if track == "batch":
            made = (
                at - dt.timedelta(days=rnd.randint(150, 175) if rnd.random() < 0.2 else rnd.randint(3, 40))
            ).date()
            return inventory.ReceiptLine.of(
                p[0],
                qty,
                unit,
                lot_no=f"{made:%y%m%d}-{n['receipt']:04d}",
                production_date=made,
                supplier_lot_no=f"S{rnd.randint(10000, 99999)}",
            )
        if track == "serial":
            qty = rnd.randint(10, 30)
            first = n["serial"]
            n["serial"] += qty
            return inventory.ReceiptLine.of(
                p[0], qty, unit, serials=[f"VX{first + i:08d}" for i in range(qty)]
            )
        return inventory.ReceiptLine(p[0], qty, unit)

    def receive(wh: str, products: list[tuple]) -> None:
        n["receipt"] += 1
        sup = products[0][6]
        at = tick()
        lines = [receipt_line(p, at) for p in products]
        with tx() as uow:
            purchasing.receive_goods(
                uow, ref=f"RC{n['receipt']:06d}", supplier_code=sup, warehouse=wh, lines=lines, at=at
            )

    def scan_serials(uow: UnitOfWork, ref: str) -> dict[str, list[str]]:
        """What the packer scans for the serial-tracked lines of an order: units in stock there."""
        wh, lines = placed[ref]
        out = {}
        for ln in lines:
            if tracking(ln.sku) == "serial":
                units = inventory.list_serials(uow, sku=ln.sku, warehouse=wh, status="in_stock", limit=ln.qty)
                out[ln.sku] = [u["serial_no"] for u in units]
        return out

    by_supplier: dict[str, list[tuple]] = {}
    for p in PRODUCTS:
        by_supplier.setdefault(p[6], []).append(p)
    for wh, _ in WAREHOUSES:
        for products in by_supplier.values():
            receive(wh, products)
    # Every SKU has its bin in each warehouse: aisle by kind of goods (A apparel, B food, C digital,
    # D home), a rack of eight levels per aisle.
    aisles = {"TS": "A", "JK": "A", "FD": "B", "EL": "C", "HM": "D"}
    slots: dict[str, int] = {}
    bins = []
    for p in PRODUCTS:
        aisle = aisles.get(p[0].split("-")[0], "E")
        slot = slots[aisle] = slots.get(aisle, 0) + 1
        bins.append(inventory.BinLine(p[0], f"{aisle}-{(slot - 1) // 8 + 1:02d}-{(slot - 1) % 8 + 1:02d}"))
    for wh, _ in WAREHOUSES:
        with tx() as uow:
            inventory.set_bins(uow, warehouse=wh, lines=bins)

    placed: dict[str, tuple[str, list]] = {}  # order -> (warehouse, lines)
    open_orders: list[str] = []
    shipped: list[str] = []
    weights = [1 / (i + 1) ** 0.7 for i in range(len(PRODUCTS))]
    for day in range(days):
        day_start = start + dt.timedelta(days=day)
        if clock[0] < day_start:
            clock[0] = day_start + dt.timedelta(hours=8)
        for _ in range(orders_per_day):
            n["order"] += 1
            picks = list(dict.fromkeys(rnd.choices(PRODUCTS, weights=weights, k=rnd.choice([1, 1, 1, 2, 3]))))
            lines = [
                orders.OrderLineIn(
                    p[0], rnd.choice([1, 1, 1, 2, 3]), p[3] * 100 * rnd.choice([100, 100, 95, 90, 85]) // 100
                )
                for p in picks
            ]
            if rnd.random() < 0.03:  # a gift box, on its own: its components are sold inside it
                code, _, _, price, _ = BUNDLES[0]
                lines = [orders.OrderLineIn(code, 1, price * 100)]
            ref = f"SO{n['order']:07d}"
            channel = rnd.choice(CHANNELS)[0]
            cust = customers[rnd.randrange(len(customers))]
            province, city, district, street = cust[2]
            goods = sum(x.qty * x.unit_price_cents for x in lines)
            discount = goods // 20 if goods > 30000 and rnd.random() < 0.3 else 0
            shipping = 0 if goods >= 9900 else 800
            intake = IntakeOrder(
                channel=channel,
                external_ref=f"{channel}-{n['order']:07d}",
                ref=ref,
                buyer=Buyer(cust[0], cust[1], f"{channel.lower()}-{cust[1][-6:]}"),
                address=Address(cust[0], cust[1], province, city, district, street),
                lines=tuple(IntakeLine(x.sku, x.qty, x.unit_price_cents) for x in lines),
                discount_cents=discount,
                shipping_fee_cents=shipping,
                payments=(Payment(PAY_BY_CHANNEL[channel], goods - discount + shipping),),
                buyer_remark=rnd.choice(REMARKS),
                tags=("VIP",) if rnd.random() < 0.05 else (),
                ordered_at=tick(),
            )
            with tx() as uow:
                r = orders.receive_order(uow, intake)
            if r.status == "on_hold":  # the operator looks at it, fixes what's needed and releases it
                with tx() as uow:
                    r = orders.release_order(uow, r.ref)
            if r.status == "allocated":
                open_orders.append(r.ref)
                placed[r.ref] = (r.warehouse, lines)
            # Most open orders ship within the day; a few are cancelled.
            while len(open_orders) > 8:
                ref = open_orders.pop(0)
                with tx() as uow:
                    if rnd.random() < 0.04:
                        orders.cancel_order(uow, ref=ref, at=tick(5))
                    else:
                        orders.ship_order(uow, ref=ref, at=tick(5), serials=scan_serials(uow, ref))
                        shipped.append(ref)
            if shipped and rnd.random() < 0.03:
                ref = rnd.choice(shipped)
                try:
                    with tx() as uow:
                        line = uow.conn.execute(select_first_line(ref)).first()
                        if line:
                            orders.return_order(
                                uow, ref=ref, lines=[orders.ReturnLineIn(line.code, 1)], at=tick(5)
                            )
                except AppError:
                    pass  # that line was returned in full already
        # Replenish what runs low, move stock between warehouses, count a shelf now and then.
        for wh, _ in WAREHOUSES:
            with tx() as uow:
                low, _ = inventory.stock(uow, warehouse_code=wh, low=True, limit=100)
            low_codes = {r.sku for r in low}
            for products in by_supplier.values():
                need = [p for p in products if p[0] in low_codes]
                if need:
                    receive(wh, need)
        untracked = [p for p in PRODUCTS if tracking(p[0]) != "serial"]
        if day % 7 == 3:
            n["transfer"] += 1
            p = rnd.choice(untracked)
            with tx() as uow:
                inventory.transfer(
                    uow,
                    ref=f"TR{n['transfer']:05d}",
                    from_warehouse="WH-SH",
                    to_warehouse="WH-CD",
                    lines=[inventory.QtyLine(p[0], rnd.randint(5, 15))],
                    at=tick(),
                )
        if day % 10 == 5:
            n["count"] += 1
            wh = rnd.choice(WAREHOUSES)[0]
            p = rnd.choice(untracked)
            with tx() as uow:
                if tracking(p[0]) == "batch":  # counted batch by batch: the one that expires first
                    lots = inventory.list_lots(uow, sku=p[0], warehouse=wh, in_stock=True)
                    rows = [(x["lot_no"], x["on_hand"], x["reserved"]) for x in lots[:1]]
                else:
                    stock, _ = inventory.stock(uow, warehouse_code=wh, sku_code=p[0])
                    rows = [(None, x.on_hand, x.reserved) for x in stock]
                if rows:
                    lot_no, on_hand, reserved = rows[0]
                    counted = max(reserved, on_hand + rnd.randint(-3, 1))
                    inventory.count(
                        uow,
                        ref=f"CNT{n['count']:05d}",
                        warehouse=wh,
                        lines=[inventory.CountLine(p[0], counted, lot_no)],
                        at=tick(),
                    )
        if day % 15 == 7:  # breakage written off, samples taken for a live stream
            n["adjustment"] += 1
            wh, p = rnd.choice(WAREHOUSES)[0], rnd.choice(untracked)
            reason = rnd.choice(["damaged", "sample", "expired"])
            try:
                with tx() as uow:
                    lot_no = None
                    if tracking(p[0]) == "batch":
                        lots = inventory.list_lots(uow, sku=p[0], warehouse=wh, in_stock=True)
                        lot_no = lots[0]["lot_no"] if lots else "-"
                    inventory.adjust(
                        uow,
                        ref=f"ADJ{n['adjustment']:05d}",
                        warehouse=wh,
                        reason=reason,
                        lines=[inventory.AdjustLine(p[0], -rnd.randint(1, 2), lot_no=lot_no)],
                        at=tick(),
                    )
            except AppError:
                n["adjustment"] -= 1  # not enough free stock that day
    out.print(
        f"demo: {n['order']} orders over {days} days, {n['receipt']} receipts, {n['transfer']} transfers, "
        f"{n['count']} stocktakes, {n['adjustment']} adjustments"
    )
    _transfer_orders_and_stocktake(tx, tick, rnd)
    _order_pool_in_every_state(tx, rnd, customers, shipped)
    out.print("demo: the order pool in every state (unpaid, exceptions, presale, split, merged, completed)")
    _fulfillment(tx)
    out.print(
        "demo: carriers, courier rules, tracking pools, and waves in Shanghai (one picked, two parcels out)"
    )
    _purchasing_in_every_state(engine)
    out.print(
        "demo: purchase orders in every state, a quality hold, a matched bill, draft orders from replenishment"
    )
    _finance(engine, tx, days)
    out.print(
        "demo: the books — sales on account (one paid, one overdue), the bill approved and half paid, "
        "rent and ads, a salary accrual awaiting approval, a WeChat Pay settlement statement imported"
    )
    out.print(
        "demo: transfer orders (one received with a transit loss, one in transit) and a posted stocktake sheet"
    )
    out.print(f"demo: sign in as [bold]{ADMIN_USER}[/bold] / [bold]{ADMIN_PASSWORD}[/bold]")


def tracking(code: str) -> str:
    """How a demo SKU is tracked: none, batch or serial."""
    return SINGLE_PRODUCTS.get(code, (None, None, None, "none"))[3]


def select_first_line(ref: str):
    from omnistock.catalog.models import sku
    from omnistock.orders.models import sales_order, sales_order_line

    return (
        select(sku.c.code)
        .select_from(
            sales_order_line.join(sales_order, sales_order.c.id == sales_order_line.c.order_id).join(
                sku, sku.c.id == sales_order_line.c.sku_id
            )
        )
        .where(
            sales_order.c.ref == ref,
            sales_order_line.c.returned_qty < sales_order_line.c.qty,
            sku.c.tracking != "serial",  # a serial return needs the unit's number scanned
        )
        .limit(1)
    )


def _free(tx, wh: str, need: int, tracked: tuple[str, ...] = ("none", "batch")) -> list[str]:
    """SKUs with at least ``need`` free pieces in ``wh`` (tracked as one of ``tracked``: serial
    units move and are counted by scanning, which these documents don't do)."""
    with tx() as uow:
        rows, _ = inventory.stock(uow, warehouse_code=wh, limit=500)
    return [r.sku for r in rows if r.available >= need and tracking(r.sku) in tracked]


def _transfer_orders_and_stocktake(tx, tick, rnd: random.Random) -> None:
    """Two-step transfers (调拨单) and a stocktake sheet (盘点单), through the services."""
    # Received last week, one piece broken on the way (a transit loss, valued as shrinkage).
    skus = _free(tx, "WH-SH", 20)[:2]
    with tx() as uow:
        done = inventory.create_transfer_order(
            uow,
            ref="TO00001",
            from_warehouse="WH-SH",
            to_warehouse="WH-GZ",
            lines=[inventory.QtyLine(s, 10) for s in skus],
            note="华南备货",
        )
    with tx() as uow:
        inventory.ship_transfer_order(uow, done["id"], at=tick())
    with tx() as uow:
        inventory.receive_transfer_order(
            uow,
            done["id"],
            lines=[inventory.ReceivedLine(s, 10 - (i == 0)) for i, s in enumerate(skus)],
            at=tick(),
        )
    # On the road now: shipped from Shanghai, not yet received in Chengdu.
    skus = _free(tx, "WH-SH", 15)[2:5]
    with tx() as uow:
        on_road = inventory.create_transfer_order(
            uow,
            ref="TO00002",
            from_warehouse="WH-SH",
            to_warehouse="WH-CD",
            lines=[inventory.QtyLine(s, rnd.randint(5, 12)) for s in skus],
            note="成都仓补货（物流在途）",
        )
    with tx() as uow:
        inventory.ship_transfer_order(uow, on_road["id"], at=tick())
    # A draft waiting to be shipped.
    skus = _free(tx, "WH-GZ", 3)[:1]
    with tx() as uow:
        inventory.create_transfer_order(
            uow,
            ref="TO00003",
            from_warehouse="WH-GZ",
            to_warehouse="WH-SH",
            lines=[inventory.QtyLine(s, 3) for s in skus],
        )
    # A stocktake of five SKUs in Guangzhou: scanned, one line recounted, posted.
    skus = _free(tx, "WH-GZ", 3, ("none",))[:5]
    with tx() as uow:
        sheet = inventory.create_stocktake(
            uow, ref="ST00001", warehouse="WH-GZ", scope={"kind": "skus", "skus": skus}, note="月度盘点"
        )
    book = {x["sku"]: x["book_qty"] for x in sheet["line_items"]}
    deltas = [0, -1, 0, 1, -2]
    with tx() as uow:
        for sku, d in zip(skus, deltas, strict=False):
            inventory.record_count(uow, sheet["id"], code=sku, qty=book[sku] + d)
    with tx() as uow:
        inventory.send_to_recount(uow, sheet["id"], skus=skus[4:5])
    with tx() as uow:
        inventory.record_count(uow, sheet["id"], code=skus[4], qty=book[skus[4]] - 1)
    with tx() as uow:
        inventory.post_stocktake(uow, sheet["id"], at=tick())
    # And one just started, blind, for the whole Chengdu warehouse.
    with tx() as uow:
        inventory.create_stocktake(uow, ref="ST00002", warehouse="WH-CD", scope={"kind": "all"}, blind=True)


def _order_pool_in_every_state(tx, rnd: random.Random, customers: list, shipped: list[str]) -> None:
    """Today's pool: orders waiting for payment, exceptions to look at, presale orders, a split
    and a merge; older shipped orders received by their buyers."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    with tx() as uow:
        for ref in shipped[: len(shipped) * 2 // 3]:
            orders.complete_order(uow, ref)
    sku = [p[0] for p in PRODUCTS if tracking(p[0]) == "none"]

    def order(n: int, cust, lines, *, paid=True, **over) -> orders.Taken:
        name, phone, (province, city, district, street) = cust
        goods = sum(q * price for _, q, price in lines)
        intake = IntakeOrder(
            channel=over.pop("channel", "WX-MINI"),
            external_ref=f"TODAY-{n:04d}",
            buyer=Buyer(name, phone, f"wx-{phone[-6:]}"),
            address=over.pop("address", Address(name, phone, province, city, district, street)),
            lines=tuple(IntakeLine(s, q, price) for s, q, price in lines),
            payments=(Payment("wechat_pay", goods),) if paid else (),
            ordered_at=now - dt.timedelta(minutes=rnd.randint(5, 300)),
            **over,
        )
        with tx() as uow:
            return orders.receive_order(uow, intake)

    one = [(sku[0], 1, 5900)]
    for i in range(3):  # waiting for the buyer to pay; one never will
        t = order(i, customers[i], one, paid=False)
    with tx() as uow:
        orders.close_order(uow, t.ref, reason="超时未付款")
    c = customers[10]
    order(10, c, one, address=Address(c[0], c[1], "上海市", "上海市", "浦东新区", "测试"))  # suspicious
    order(11, customers[11], [(sku[1], 1, 5900)], buyer_remark="不要发顺丰，改地址到公司")  # keywords
    b = customers[12]
    order(12, (b[0], "13000000000", b[2]), [(sku[2], 1, 5900)])  # blacklisted phone
    order(13, customers[13], [(sku[3], 100000, 100)])  # more than any warehouse holds
    later = (now + dt.timedelta(days=20)).date()
    for i in range(20, 24):  # presale: waits for its day
        order(i, customers[i], [(sku[4], 1, 12900)], ship_after=later, tags=("预售",))
    t = order(30, customers[30], [(sku[5], 2, 3900), (sku[6], 1, 4900)])
    if t.status == "allocated":
        with tx() as uow:
            orders.split_order(uow, t.ref, [{sku[6]: 1}])
    c = customers[31]  # two orders of one buyer to one address: shipped as one package
    a = order(31, c, [(sku[7], 1, 2900)])
    b2 = order(32, c, [(sku[8], 1, 3900)])
    if a.status == b2.status == "allocated":
        with tx() as uow:
            orders.merge_orders(uow, [a.ref, b2.ref])


def _fulfillment(tx) -> None:
    """Two carriers with courier rules and tracking pools; every warehouse's allocated orders in
    waves, Shanghai's first one released and picked, two of its parcels packed and shipped (one of
    them returned) and one packed, waiting for its tracking number."""
    with tx() as uow:
        fulfillment.create_carrier(uow, code="ZTO", name="中通快递")
        fulfillment.create_carrier(uow, code="SF", name="顺丰速运")
        fulfillment.create_account(uow, code="ZTO-EC", carrier_code="ZTO", name="中通电商件")
        fulfillment.create_account(uow, code="SF-MONTHLY", carrier_code="SF", name="顺丰月结")
        fulfillment.save_rule(
            uow,
            fulfillment.RuleIn(
                name="中通全国", account="ZTO-EC", priority=10, first_fee_cents=500, extra_fee_cents=200
            ),
        )
        fulfillment.save_rule(
            uow,
            fulfillment.RuleIn(
                name="顺丰江浙沪",
                account="SF-MONTHLY",
                priority=20,
                provinces=("上海市", "浙江省", "江苏省"),
                first_fee_cents=800,
                extra_unit_g=500,
                extra_fee_cents=150,
            ),
        )
        fulfillment.save_rule(
            uow,
            fulfillment.RuleIn(
                name="顺丰重货",
                account="SF-MONTHLY",
                priority=30,
                min_weight_g=5000,
                first_weight_g=5000,
                first_fee_cents=2000,
                extra_fee_cents=300,
            ),
        )
        fulfillment.add_numbers(uow, account_code="ZTO-EC", prefix="781", first=1, last=500, width=10)
        fulfillment.add_numbers(uow, account_code="SF-MONTHLY", prefix="SF14", first=1, last=200, width=9)
    for wh, _ in WAREHOUSES[1:]:  # waiting to be released
        with tx() as uow:
            fulfillment.create_waves(uow, warehouse=wh, max_orders=20)
    with tx() as uow:
        made = fulfillment.create_waves(uow, warehouse="WH-SH", max_orders=20)
    if not made.waves:
        return
    first = made.waves[0]
    with tx() as uow:
        fulfillment.release_wave(uow, first)
    with tx() as uow:
        fulfillment.confirm_picks(uow, first)
        sheet = fulfillment.pick_list(uow, first)
    plain = [
        o
        for o in sheet["orders"]
        if o["status"] == "picked" and all(tracking(i["sku"]) != "serial" for i in o["items"])
    ]
    for o in plain[:2]:
        with tx() as uow:
            fulfillment.pack(
                uow,
                o["ref"],
                items=[fulfillment.PackItem(i["sku"], i["qty"]) for i in o["items"]],
                weight_g=350 * sum(i["qty"] for i in o["items"]),
            )
        with tx() as uow:
            fulfillment.ship(uow, o["ref"])
    if plain:
        item = plain[0]["items"][0]
        with tx() as uow:
            fulfillment.receive_return(
                uow, plain[0]["ref"], items=[fulfillment.ReturnItem(item["sku"], 1)], note="七天无理由退货"
            )
    if len(plain) > 2:  # packed, waiting for its tracking number
        o = plain[2]
        with tx() as uow:
            fulfillment.pack(
                uow,
                o["ref"],
                items=[fulfillment.PackItem(i["sku"], i["qty"]) for i in o["items"]],
                weight_g=800,
            )


def _purchasing_in_every_state(engine: Engine) -> None:
    """Purchase orders as the purchaser (周杰) and the manager (孙丽) leave them: two open purchase
    requests from the Shanghai warehouse, drafts made by the replenishment workbench, one waiting for approval, approved, sent, partly received with goods
    on quality hold, received and billed (matched), closed, and cancelled."""
    perms = {r["code"]: frozenset(r["permissions"]) for r in identity.BUILTIN_ROLES}
    buyer = Actor(None, "zhoujie", perms["purchaser"])
    boss = Actor(None, "sunli", perms["purchase_manager"])
    clerk = Actor(None, "wangfang", perms["warehouse"])
    plain = [p for p in PRODUCTS if tracking(p[0]) == "none"]

    def po(sku_qty: list[tuple[str, int]], wh: str = "WH-SH") -> int:
        sup = next(p[6] for p in PRODUCTS if p[0] == sku_qty[0][0])
        with UnitOfWork(engine, buyer) as uow:
            return purchasing.create_order(
                uow,
                supplier_code=sup,
                warehouse=wh,
                lines=[purchasing.OrderLineIn(s, q) for s, q in sku_qty],
                expected_date=(dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).date(),
            )["id"]

    def step(actor: Actor, fn, po_id: int) -> None:
        with UnitOfWork(engine, actor) as uow:
            fn(uow, po_id)

    def receive(po_id: int, lines: list[purchasing.ReceiveLineIn], **kw) -> None:
        with UnitOfWork(engine, clerk) as uow:
            purchasing.receive_order(uow, po_id, lines=lines, **kw)

    tex = [p[0] for p in plain if p[6] == "SUP-TEX"]
    approved_flow = [purchasing.submit_order, purchasing.approve_order]
    waiting = po([(tex[0], 40), (tex[1], 40)])
    step(buyer, purchasing.submit_order, waiting)
    approved = po([(tex[2], 60)])
    for fn in approved_flow:
        step(boss if fn is purchasing.approve_order else buyer, fn, approved)
    sent = po([(tex[3], 30), (tex[4], 30)], wh="WH-GZ")
    for fn in (*approved_flow, purchasing.send_order):
        step(boss if fn is purchasing.approve_order else buyer, fn, sent)
    partly = po([(tex[5], 50), (tex[6], 20)])
    for fn in (*approved_flow, purchasing.send_order):
        step(boss if fn is purchasing.approve_order else buyer, fn, partly)
    receive(partly, [purchasing.ReceiveLineIn(tex[5], 30), purchasing.ReceiveLineIn(tex[6], 20, hold=True)])
    done = po([(tex[7], 20)])
    for fn in (*approved_flow, purchasing.send_order):
        step(boss if fn is purchasing.approve_order else buyer, fn, done)
    receive(done, [purchasing.ReceiveLineIn(tex[7], 20)], freight_cents=3000)
    with UnitOfWork(engine, buyer) as uow:
        price = purchasing.order_detail(uow, done)["lines"][0]["price_cents"]
        purchasing.create_bill(
            uow,
            supplier_code="SUP-TEX",
            bill_no="FP-2026-0001",
            order_id=done,
            lines=[purchasing.BillLineIn(1, 20, price)],
        )
    step(buyer, purchasing.close_order, done)
    arrived = po([(tex[8], 25)], wh="WH-CD")
    for fn in approved_flow:
        step(boss if fn is purchasing.approve_order else buyer, fn, arrived)
    receive(arrived, [purchasing.ReceiveLineIn(tex[8], 25)])
    cancelled = po([(tex[0], 10)], wh="WH-CD")
    step(buyer, purchasing.cancel_order, cancelled)
    with UnitOfWork(engine, clerk) as uow:  # the Shanghai warehouse asks for more of two T-shirts
        for code, qty in ((tex[9], 30), (tex[10], 20)):
            purchasing.create_request(uow, warehouse="WH-SH", sku=code, qty=qty, reason="直播活动备货")
    with UnitOfWork(engine, boss) as uow:
        due = [r for r in purchasing.replenishment(uow, due_only=True)["rows"] if r["supplier"]][:6]
    if due:
        with UnitOfWork(engine, buyer) as uow:
            purchasing.create_draft_orders(
                uow, [purchasing.Pick(r["warehouse"], r["sku"], r["suggested_qty"]) for r in due]
            )


def _finance(engine: Engine, tx, days: int) -> None:
    """The books as the accountant (赵敏) finds them, beyond what every shipment, receipt and count
    posted by itself: a distributor's customer buying on account with 30 days' credit (one
    invoice paid, one overdue, one not yet due), the matched supplier bill approved and half paid,
    this month's rent and ads, a salary accrual waiting for approval, and a WeChat Pay settlement
    statement of the latest mini-program orders imported with its fees (and one line the books do
    not know)."""
    boss = Actor(None, "sunli", frozenset({"purchasing.*"}))
    today = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with tx() as uow:
        orders.create_customer(uow, code="B2B-HD", name="华东优选商贸有限公司", phone="02168880001")
        arap.set_terms(
            uow, party_type="customer", code="B2B-HD", credit_days=30, credit_limit_cents=50_000_00
        )
        arap.set_terms(uow, party_type="supplier", code="SUP-TEX", credit_days=45)
    product = next(p for p in PRODUCTS if tracking(p[0]) == "none" and p[4] == "average")
    sku, price = product[0], product[3] * 100 * 80 // 100  # the trade price: 20 % off
    # Three invoices: overdue, due soon, not yet due — inside the demo's history when it is short.
    offsets = [min(d, max(days - 2, 1)) for d in (50, 40, 5)]
    with tx() as uow:  # the distributor's stock, bought before its first order
        purchasing.receive_goods(
            uow,
            ref=None,
            supplier_code=product[6],
            warehouse="WH-SH",
            lines=[inventory.ReceiptLine(sku, 30, int(product[3] * 100 * product[7]))],
            at=today - dt.timedelta(days=max(offsets) + 1),
        )
    for i, days_ago in enumerate(offsets, 1):
        at = today - dt.timedelta(days=days_ago)
        with tx() as uow:
            orders.place_order(
                uow,
                ref=f"B2B{i:04d}",
                channel_code="DIST",
                customer_code="B2B-HD",
                warehouse="WH-SH",
                lines=[orders.OrderLineIn(sku, 10, price)],
                at=at,
                paid_cents=0,
            )
            orders.ship_order(uow, ref=f"B2B{i:04d}", at=at + dt.timedelta(hours=20))
    with tx() as uow:  # the first invoice paid by bank transfer (the second is overdue)
        arap.record_payment(
            uow,
            kind="ar",
            party_code="B2B-HD",
            amount_cents=10 * price,
            date=(today - dt.timedelta(days=18)).date(),
            ref="HD-20261101",
            memo="华东优选 货款",
        )
    with tx() as uow:
        bill = next(b for b in purchasing.list_bills(uow, limit=50)[0] if b["bill_no"] == "FP-2026-0001")
    with UnitOfWork(engine, boss) as uow:
        purchasing.approve_bill(uow, bill["id"])
    with tx() as uow:
        arap.record_payment(
            uow,
            kind="ap",
            party_code="SUP-TEX",
            amount_cents=bill["total_cents"] // 2,
            date=today.date(),
            ref="PAY-TEX-001",
            memo="首付 50%",
        )
        for account, cents, memo in (("6602", 12_000_00, "本月仓库租金"), ("660104", 3_500_00, "抖音投流")):
            arap.record_expense(uow, date=today.date(), account_code=account, amount_cents=cents, memo=memo)
        finance.create_entry(
            uow,
            date=today.date(),
            memo="计提本月工资",
            lines=[
                finance.EntryLineIn("6602", debit_cents=48_000_00),
                finance.EntryLineIn("2211", credit_cents=48_000_00),
            ],
        )
    with tx() as uow:
        recent = finance_recent_wechat(uow)
    rows = ["order_ref,type,amount,fee,commission,settled_at,txn_id"]
    for n, (ref, total) in enumerate(recent, 1):
        fee = (total * 60 + 5000) // 10000
        rows.append(f"{ref},收款,{total / 100:.2f},{fee / 100:.2f},0,{today:%Y-%m-%d} 09:00:00,WX{n:08d}")
    rows.append(f"SO-UNKNOWN-1,收款,59.90,0.36,0,{today:%Y-%m-%d} 09:00:00,WX99999999")
    with tx() as uow:
        reconcile.import_statement(
            uow,
            channel="WX-MINI",
            source="generic",
            data=("\n".join(rows) + "\n").encode("utf-8"),
            filename=f"微信支付结算_{today:%Y%m%d}.csv",
        )
    arap.scan_due(engine)


def finance_recent_wechat(uow: UnitOfWork) -> list[tuple[str, int]]:
    """(ref, total) of the last 20 shipped mini-program orders, for the demo's settlement file."""
    from omnistock.orders.models import channel, sales_order

    so = sales_order.c
    rows = uow.conn.execute(
        select(so.ref, so.total_cents)
        .select_from(sales_order.join(channel, channel.c.id == so.channel_id))
        .where(channel.c.code == "WX-MINI", so.status == "shipped")
        .order_by(so.shipped_at.desc())
        .limit(20)
    ).all()
    return [(r.ref, r.total_cents) for r in rows]
