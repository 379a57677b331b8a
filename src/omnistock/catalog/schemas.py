"""Catalog API input and output models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from omnistock.catalog import rules
from omnistock.platform.schemas import Input, Output, UtcDateTime

Code = Annotated[str, Field(min_length=1, max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
ShortName = Annotated[str, Field(min_length=1, max_length=100)]
Cents = Annotated[int, Field(ge=0, le=rules.MAX_PRICE_CENTS)]
SafetyStock = Annotated[int, Field(ge=0, le=10**9)]
ShelfLife = Annotated[int, Field(ge=1, le=rules.MAX_SHELF_LIFE_DAYS)]
Barcodes = Annotated[list[Code], Field(max_length=rules.MAX_BARCODES)]
Label = Annotated[str, Field(min_length=1, max_length=rules.MAX_NAME)]
SkuAttributes = Annotated[
    dict[Label, Label],
    Field(max_length=rules.MAX_ATTRIBUTES, description='This SKU\'s value of each attribute: {"颜色": "红"}'),
]
Kind = Literal["standard", "bundle"]
Tracking = Literal["none", "batch", "serial"]
CostMethod = Literal["average", "fifo"]


class ComponentIn(Input):
    sku: Code = Field(description="A standard SKU's code")
    qty: Annotated[int, Field(gt=0, le=rules.MAX_BUNDLE_QTY)] = Field(description="How many go in one bundle")


class SkuIn(Input):
    """A standalone SKU; ``kind: bundle`` with ``components`` makes a kit (组合套餐)."""

    code: Code
    name: Name
    unit: str = Field(default="pcs", min_length=1, max_length=16)
    price_cents: Cents
    cost_method: CostMethod = "average"
    safety_stock: SafetyStock = 0
    barcodes: Barcodes = []
    tracking: Tracking = Field(default="none", description="Fixed at creation")
    shelf_life_days: ShelfLife | None = None
    kind: Kind = "standard"
    components: Annotated[list[ComponentIn], Field(max_length=rules.MAX_COMPONENTS)] = []


class ProductSkuIn(Input):
    """A SKU of a product; without a name it is named after the product and its values."""

    code: Code
    name: Name | None = None
    unit: str = Field(default="pcs", min_length=1, max_length=16)
    price_cents: Cents
    cost_method: CostMethod = "average"
    safety_stock: SafetyStock = 0
    attributes: SkuAttributes = {}
    barcodes: Barcodes = []
    tracking: Tracking = "none"
    shelf_life_days: ShelfLife | None = None
    kind: Kind = "standard"
    components: Annotated[list[ComponentIn], Field(max_length=rules.MAX_COMPONENTS)] = []


class SkuUpdate(Input):
    """Only the fields sent change; ``barcodes`` is the SKU's whole new set."""

    name: Name | None = None
    price_cents: Cents | None = None
    safety_stock: SafetyStock | None = None
    attributes: SkuAttributes | None = None
    shelf_life_days: ShelfLife | None = None
    barcodes: Barcodes | None = None


class ComponentOut(Output):
    sku_id: int
    code: str
    name: str
    qty: int


class SkuOut(Output):
    id: int
    code: str
    name: str
    unit: str
    price_cents: int
    cost_method: str
    safety_stock: int
    active: bool
    product_id: int | None = None
    product_code: str | None = None
    attributes: dict[str, str] | None = None
    kind: str = "standard"
    tracking: str = "none"
    shelf_life_days: int | None = None
    barcodes: list[str] = []


class SkuDetailOut(SkuOut):
    components: list[ComponentOut] = Field(default=[], description="Of a bundle: what one bundle holds")


class LookupOut(Output):
    matched: Literal["code", "barcode"]
    sku: SkuDetailOut


class AttributeIn(Input):
    name: Label
    values: Annotated[list[Label], Field(min_length=1, max_length=rules.MAX_VALUES)]


class AttributeOut(Output):
    name: str
    values: list[str]


ImageName = Annotated[str, Field(min_length=1, max_length=80)]


class ProductIn(Input):
    code: Code
    name: Name
    category: Code | None = Field(default=None, description="A category code")
    brand: Code | None = Field(default=None, description="A brand code")
    description: str = Field(default="", max_length=20_000)
    images: Annotated[list[ImageName], Field(max_length=20)] = Field(
        default=[], description="Uploaded image names, in display order"
    )
    attributes: Annotated[list[AttributeIn], Field(max_length=rules.MAX_ATTRIBUTES)] = Field(
        default=[], description='Attribute definitions: [{"name": "颜色", "values": ["红", "黑"]}]'
    )
    skus: Annotated[list[ProductSkuIn], Field(max_length=rules.MAX_MATRIX)] = []


class ProductUpdate(Input):
    """Only the fields sent change (``category``/``brand`` null clears them)."""

    name: Name | None = None
    category: Code | None = None
    brand: Code | None = None
    description: str | None = Field(default=None, max_length=20_000)
    images: Annotated[list[ImageName], Field(max_length=20)] | None = None
    attributes: Annotated[list[AttributeIn], Field(max_length=rules.MAX_ATTRIBUTES)] | None = None


class AddSkusIn(Input):
    skus: Annotated[list[ProductSkuIn], Field(min_length=1, max_length=rules.MAX_MATRIX)]


class ProductOut(Output):
    id: int
    code: str
    name: str
    category_id: int | None
    category_code: str | None
    category_name: str | None
    brand_id: int | None
    brand_code: str | None
    brand_name: str | None
    description: str
    images: list[str]
    attributes: list[AttributeOut]
    status: str
    sku_count: int
    price_min_cents: int | None
    price_max_cents: int | None
    created_at: UtcDateTime
    updated_at: UtcDateTime


class ProductDetailOut(ProductOut):
    skus: list[SkuOut]


class CategoryIn(Input):
    code: Code
    name: ShortName
    parent: Code | None = Field(default=None, description="The parent category's code")
    sort: Annotated[int, Field(ge=-(10**6), le=10**6)] = 0


class CategoryUpdate(Input):
    name: ShortName | None = None
    parent: Code | None = None
    sort: Annotated[int, Field(ge=-(10**6), le=10**6)] | None = None


class CategoryOut(Output):
    id: int
    code: str
    name: str
    parent_id: int | None
    parent_code: str | None
    sort: int
    product_count: int
    child_count: int


class BrandIn(Input):
    code: Code
    name: ShortName


class BrandUpdate(Input):
    name: ShortName


class BrandOut(Output):
    id: int
    code: str
    name: str
    product_count: int


class ImageOut(Output):
    name: str
    size: int
    content_type: str
    url: str


class ImportResultOut(Output):
    rows: int
    products_created: int
    skus_created: int
    skus_updated: int
    skus_unchanged: int = Field(description="Rows of existing SKUs that asked for no change")
