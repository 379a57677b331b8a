"""Order pool set-up over HTTP: channels (adapter, webhook secret), the channel webhook itself,
order import files, auto-review rules, the blacklist, routing rules and the pool's settings.

Mounted before ``orders.api`` so its fixed paths win over ``/{ref}/…``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from omnistock.orders import channels, order_import, service
from omnistock.orders import review_rules as review_kinds
from omnistock.orders import routing_rules as route_kinds
from omnistock.platform import excel
from omnistock.platform.auth import Actor, requires
from omnistock.platform.errors import AppError, Invalid
from omnistock.platform.http import AreaRouter, language, unit_of_work
from omnistock.platform.schemas import Input, Output

router = AreaRouter(prefix="/api/v1/orders", tags=["orders"])

Code = Annotated[str, Field(min_length=1, max_length=64)]


# -- channels ---------------------------------------------------------------------------------------


class ChannelOut(Output):
    code: str
    name: str
    kind: str
    active: bool
    adapter: str | None
    has_secret: bool
    writeback_url: str | None = Field(description="Where shipped parcels are POSTed back (docs/channels.md)")
    webhook_path: str


def _channel(v: channels.ChannelView) -> ChannelOut:
    return ChannelOut(**v.__dict__, webhook_path=f"/api/v1/orders/webhooks/{v.code}")


@router.get("/channels", operation_id="listChannels")
def list_channels(
    request: Request, actor: Actor = Depends(requires("orders.order.read"))
) -> list[ChannelOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        return [_channel(v) for v in channels.list_channels(uow)]


class ChannelPatch(Input):
    name: str | None = Field(default=None, max_length=200)
    kind: str | None = Field(default=None, max_length=24)
    active: bool | None = None
    adapter: Literal["shopify", "generic", "none"] | None = Field(
        default=None, description="Which adapter reads this channel's webhooks; none switches webhooks off"
    )
    writeback_url: str | None = Field(
        default=None,
        max_length=2000,
        description="http(s) URL shipments are POSTed to, signed with the webhook secret; an empty "
        "string removes it (nothing is sent)",
    )


@router.patch("/channels/{code}", operation_id="updateChannel")
def update_channel(
    code: str, body: ChannelPatch, request: Request, actor: Actor = Depends(requires("orders.channel.manage"))
) -> ChannelOut:
    adapter: Any = ... if body.adapter is None else (None if body.adapter == "none" else body.adapter)
    writeback: Any = ... if body.writeback_url is None else body.writeback_url
    with unit_of_work(request, actor) as uow:
        return _channel(
            channels.update_channel(
                uow,
                code,
                name=body.name,
                kind=body.kind,
                active=body.active,
                adapter=adapter,
                writeback_url=writeback,
            )
        )


class SecretOut(Output):
    secret: str


@router.post("/channels/{code}/webhook-secret", operation_id="rotateWebhookSecret")
def rotate_webhook_secret(
    code: str, request: Request, actor: Actor = Depends(requires("orders.channel.manage"))
) -> SecretOut:
    """A new signing secret for the channel's webhooks, shown this once."""
    with unit_of_work(request, actor) as uow:
        return SecretOut(secret=channels.rotate_webhook_secret(uow, code))


class WebhookOut(Output):
    ref: str
    status: str
    created: bool


@router.post("/webhooks/{code}", operation_id="channelWebhook", responses={201: {"model": WebhookOut}})
async def channel_webhook(code: str, request: Request) -> JSONResponse:
    """Where a channel pushes its orders (Shopify ``orders/create``, or the generic JSON of
    docs/channels.md). Authenticated by the request's signature, not a bearer token. 201 for a
    new order, 200 for one already taken."""
    body = await request.body()
    actor = Actor(
        user_id=None, username=f"webhook:{code[:40]}", permissions=frozenset({"orders.order.create"})
    )

    def take() -> service.Taken:
        with unit_of_work(request, actor) as uow:
            return channels.receive_webhook(uow, code, request.headers, body)

    taken = await run_in_threadpool(take)
    out = WebhookOut(ref=taken.ref, status=taken.status, created=taken.created)
    return JSONResponse(out.model_dump(), status_code=201 if taken.created else 200)


# -- import -----------------------------------------------------------------------------------------


class ImportRow(Output):
    external_ref: str | None
    ok: bool
    ref: str | None = None
    status: str | None = None
    created: bool = False
    code: str | None = None
    message: str | None = None


@router.post("/import", operation_id="importOrders")
def import_orders(
    request: Request,
    file: Annotated[UploadFile, File(description=".xlsx or .csv, one row per order line")],
    actor: Actor = Depends(requires("orders.order.create")),
) -> list[ImportRow]:
    """Orders from an Excel/CSV file. A file with bad cells imports nothing and the error lists
    every one (row, column, reason). Each order is then taken on its own: one that fails is
    reported and the others go on; importing the same file again skips the orders already in."""
    data = file.file.read(order_import.MAX_FILE_BYTES + 1)
    orders = order_import.parse_orders(data, file.filename or "orders.xlsx")
    lang = language(request)
    out = []
    for order in orders:
        try:
            with unit_of_work(request, actor) as uow:
                t = service.receive_order(uow, order)
            out.append(
                ImportRow(
                    external_ref=order.external_ref, ok=True, ref=t.ref, status=t.status, created=t.created
                )
            )
        except AppError as err:
            out.append(
                ImportRow(external_ref=order.external_ref, ok=False, code=err.code, message=err.message(lang))
            )
    return out


@router.get("/import/template", operation_id="orderImportTemplate", response_class=Response)
def import_template(
    lang: Annotated[str, Query(pattern="^(zh-CN|en)$")] = "zh-CN",
    actor: Actor = Depends(requires("orders.order.create")),
) -> Response:
    return excel.download(
        order_import.template(lang), "order-import.xlsx" if lang == "en" else "订单导入模板.xlsx"
    )


# -- auto-review rules --------------------------------------------------------------------------------


class ReviewRuleOut(Output):
    kind: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    enabled: bool
    always_on: bool
    params: dict[str, Any]


@router.get("/config/review-rules", operation_id="listReviewRules")
def list_review_rules(
    request: Request, actor: Actor = Depends(requires("orders.order.read"))
) -> list[ReviewRuleOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        rules = service.review_config(uow)
    out = []
    for r in rules:
        k = review_kinds.RULE_KINDS[r.kind]
        out.append(
            ReviewRuleOut(
                kind=r.kind,
                name_zh=k.name_zh,
                name_en=k.name_en,
                description_zh=k.description_zh,
                description_en=k.description_en,
                enabled=r.enabled or k.always_on,
                always_on=k.always_on,
                params=dict(r.params),
            )
        )
    return out


class ReviewRuleIn(Input):
    enabled: bool
    params: dict[str, Any] | None = None


@router.put("/config/review-rules/{kind}", operation_id="setReviewRule")
def set_review_rule(
    kind: str, body: ReviewRuleIn, request: Request, actor: Actor = Depends(requires("orders.rule.manage"))
) -> dict:
    with unit_of_work(request, actor) as uow:
        r = service.set_review_rule(uow, kind, enabled=body.enabled, params=body.params)
    return {"kind": r.kind, "enabled": r.enabled, "params": dict(r.params)}


# -- blacklist ----------------------------------------------------------------------------------------


class BlacklistOut(Output):
    id: int
    kind: str
    value: str
    note: str | None


class BlacklistIn(Input):
    kind: Literal["buyer", "phone", "address"]
    value: str = Field(
        min_length=1, max_length=300, description="For an address: province|city|district|detail"
    )
    note: str | None = Field(default=None, max_length=200)


@router.get("/config/blacklist", operation_id="listBlacklist")
def list_blacklist(
    request: Request, actor: Actor = Depends(requires("orders.order.read"))
) -> list[BlacklistOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        return [BlacklistOut.model_validate(x) for x in service.list_blacklist(uow)]


@router.post("/config/blacklist", status_code=201, operation_id="addBlacklist")
def add_blacklist(
    body: BlacklistIn, request: Request, actor: Actor = Depends(requires("orders.rule.manage"))
) -> BlacklistOut:
    with unit_of_work(request, actor) as uow:
        return BlacklistOut.model_validate(
            service.add_blacklist(uow, kind=body.kind, value=body.value, note=body.note)
        )


@router.delete("/config/blacklist/{entry_id}", status_code=204, operation_id="removeBlacklist")
def remove_blacklist(
    entry_id: int, request: Request, actor: Actor = Depends(requires("orders.rule.manage"))
) -> None:
    with unit_of_work(request, actor) as uow:
        service.remove_blacklist(uow, entry_id)


# -- routing rules ------------------------------------------------------------------------------------


class RouteRuleIn(Input):
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["channel", "sku", "region", "fewest_packages", "fallback"]
    priority: int = Field(ge=0, le=10_000)
    warehouse: Code | None = None
    channels: list[Code] | None = Field(default=None, max_length=200)
    skus: list[Code] | None = Field(default=None, max_length=2000)
    provinces: list[str] | None = Field(default=None, max_length=40)
    enabled: bool = True


class RouteRuleOut(Output):
    id: int
    name: str
    kind: str
    priority: int
    warehouse: str | None
    channels: list[str]
    skus: list[str]
    provinces: list[str]
    enabled: bool


class RouteKindOut(Output):
    kind: str
    en: str
    zh: str


@router.get("/config/route-kinds", operation_id="listRouteKinds")
def list_route_kinds(actor: Actor = Depends(requires("orders.order.read"))) -> list[RouteKindOut]:
    return [RouteKindOut(kind=k, en=en, zh=zh) for k, (en, zh) in route_kinds.ROUTE_KINDS.items()]


@router.get("/config/route-rules", operation_id="listRouteRules")
def list_route_rules(
    request: Request, actor: Actor = Depends(requires("orders.order.read"))
) -> list[RouteRuleOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        return [RouteRuleOut.model_validate(x) for x in service.list_route_rules(uow)]


def _save(uow, rule_id: int | None, body: RouteRuleIn) -> RouteRuleOut:
    return RouteRuleOut.model_validate(
        service.save_route_rule(
            uow,
            rule_id,
            name=body.name,
            kind=body.kind,
            priority=body.priority,
            warehouse=body.warehouse,
            channels=body.channels or (),
            skus=body.skus or (),
            provinces=body.provinces or (),
            enabled=body.enabled,
        )
    )


@router.post("/config/route-rules", status_code=201, operation_id="createRouteRule")
def create_route_rule(
    body: RouteRuleIn, request: Request, actor: Actor = Depends(requires("orders.rule.manage"))
) -> RouteRuleOut:
    with unit_of_work(request, actor) as uow:
        return _save(uow, None, body)


@router.put("/config/route-rules/{rule_id}", operation_id="updateRouteRule")
def update_route_rule(
    rule_id: int, body: RouteRuleIn, request: Request, actor: Actor = Depends(requires("orders.rule.manage"))
) -> RouteRuleOut:
    with unit_of_work(request, actor) as uow:
        return _save(uow, rule_id, body)


@router.delete("/config/route-rules/{rule_id}", status_code=204, operation_id="deleteRouteRule")
def delete_route_rule(
    rule_id: int, request: Request, actor: Actor = Depends(requires("orders.rule.manage"))
) -> None:
    with unit_of_work(request, actor) as uow:
        service.delete_route_rule(uow, rule_id)


# -- settings -----------------------------------------------------------------------------------------


class SettingsIn(Input):
    auto_split: bool | None = Field(
        default=None, description="Split an order no one warehouse can fill over several"
    )


@router.get("/config/settings", operation_id="orderSettings")
def get_settings(request: Request, actor: Actor = Depends(requires("orders.order.read"))) -> dict[str, Any]:
    with unit_of_work(request, actor, readonly=True) as uow:
        return service.settings(uow)


@router.put("/config/settings", operation_id="setOrderSettings")
def put_settings(
    body: SettingsIn, request: Request, actor: Actor = Depends(requires("orders.rule.manage"))
) -> dict[str, Any]:
    values = body.model_dump(exclude_none=True)
    if not values:
        raise Invalid("orders.nothing_to_change", "Nothing to change", "没有要修改的内容")
    with unit_of_work(request, actor) as uow:
        for key, value in values.items():
            service.set_setting(uow, key, value)
        return service.settings(uow)
