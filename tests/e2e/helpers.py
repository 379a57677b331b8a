"""Helpers shared by the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page


def settle(page: Page) -> None:
    """Wait until no Ant Design enter/appear animation runs (a modal zooming in, a dropdown
    sliding down): a click on a moving element can land on whatever slides under it."""
    page.wait_for_function("() => !document.querySelector('[class*=-enter-active], [class*=-appear-active]')")


def post_ok(api, path: str, body: dict) -> dict:
    """POST through the API and insist it was taken (201, or 200 for an idempotent repeat)."""
    r = api.post(path, json=body)
    assert r.status_code in (200, 201), (path, r.text)
    return r.json() if r.content else {}


def stocked_sku(
    api,
    *,
    warehouse: str,
    sku: str,
    name: str,
    price_cents: int,
    qty: int,
    unit_cost_cents: int,
    cost_method: str = "average",
    unit: str = "件",
) -> None:
    """A new warehouse holding ``qty`` of a new SKU, received at ``unit_cost_cents``."""
    post_ok(api, "/api/v1/inventory/warehouses", {"code": warehouse, "name": f"{name}仓"})
    post_ok(
        api,
        "/api/v1/catalog/skus",
        {"code": sku, "name": name, "unit": unit, "price_cents": price_cents, "cost_method": cost_method},
    )
    post_ok(
        api,
        "/api/v1/inventory/receipts",
        {
            "ref": f"RC-{sku}",
            "warehouse": warehouse,
            "lines": [{"sku": sku, "qty": qty, "unit_cost_cents": unit_cost_cents}],
        },
    )


def shipped_order(api, order: dict, *, detail: str) -> None:
    """Take ``order`` (ref, channel, customer, warehouse, lines, payments, …) through the API to a
    Shanghai address on ``detail``, and ship it."""
    address = {
        "receiver": "王芳",
        "phone": "13800138000",
        "province": "上海市",
        "city": "上海市",
        "district": "浦东新区",
        "detail": detail,
    }
    taken = post_ok(api, "/api/v1/orders", {"address": address, **order})
    assert taken["status"] == "allocated", taken
    post_ok(api, f"/api/v1/orders/{order['ref']}/ship", {})
