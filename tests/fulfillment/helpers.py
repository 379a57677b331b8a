"""Set-up for the fulfilment tests: the order pool's warehouses, SKUs and channels, a carrier with
two accounts and rules, a tracking pool, and allocated orders taken through the orders service."""

from __future__ import annotations

from omnistock.fulfillment import service as fulfillment
from omnistock.inventory import service as inventory
from omnistock.orders import service as orders
from omnistock.orders.intake import Address, Buyer, IntakeLine, IntakeOrder, Payment
from tests.orders.pool_helpers import setup_pool, uow

FUL = "/api/v1/fulfillment"


def setup(engine, stock=None) -> None:
    """``setup_pool`` plus carrier SF with accounts SF-1 (anywhere, ¥12 first kg + ¥2/kg) and
    SF-EC (Zhejiang only, ¥8 + ¥1/500 g), and pool numbers SF0000000001-20 for SF-1; TEA gets
    bin B-02 and CUP bin A-01 in SH."""
    setup_pool(engine, stock)
    with uow(engine) as u:
        fulfillment.create_carrier(u, code="SF", name="顺丰速运")
        fulfillment.create_account(u, code="SF-1", carrier_code="SF", name="顺丰月结")
        fulfillment.create_account(u, code="SF-EC", carrier_code="SF", name="顺丰电商特惠")
        fulfillment.save_rule(
            u,
            fulfillment.RuleIn(
                name="全国顺丰", account="SF-1", priority=10, first_fee_cents=1200, extra_fee_cents=200
            ),
        )
        fulfillment.save_rule(
            u,
            fulfillment.RuleIn(
                name="江浙特惠",
                account="SF-EC",
                priority=20,
                provinces=("江苏省",),
                first_fee_cents=800,
                extra_unit_g=500,
                extra_fee_cents=100,
            ),
        )
        fulfillment.add_numbers(u, account_code="SF-1", prefix="SF", first=1, last=20, width=10)
        inventory.set_bins(
            u, warehouse="SH", lines=[inventory.BinLine("TEA", "B-02"), inventory.BinLine("CUP", "A-01")]
        )


def order(engine, ext: str, lines=(("TEA", 1),), province="浙江省", city="杭州市") -> str:
    """A paid order to ``province``, allocated in SH; returns its ref."""
    total = sum(q * 2000 for _, q in lines)
    with uow(engine) as u:
        taken = orders.receive_order(
            u,
            IntakeOrder(
                channel="WX",
                external_ref=ext,
                buyer=Buyer("李雷", "13800138000", f"openid-{ext}"),
                lines=tuple(IntakeLine(s, q, 2000) for s, q in lines),
                address=Address("李雷", "13800138000", province, city, "西湖区", f"文三路 {ext} 号"),
                payments=(Payment("wechat_pay", total, None, None),),
                warehouse="SH",
            ),
        )
    assert taken.status == "allocated", taken
    return taken.ref


def status(engine, ref: str) -> str:
    with uow(engine) as u:
        return orders.order_sheets(u, refs=[ref])[0].status
