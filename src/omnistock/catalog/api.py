"""Catalog HTTP API: SKUs, products and their SKU matrix, barcodes, bundles, categories, brands,
images and the Excel import/export."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import Depends, File, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse

from omnistock.catalog import excel, images, service
from omnistock.catalog import schemas as s
from omnistock.platform.auth import Actor, requires
from omnistock.platform.errors import not_found
from omnistock.platform.http import AreaRouter, language, unit_of_work
from omnistock.platform.schemas import Page

router = AreaRouter(prefix="/api/v1/catalog", tags=["catalog"])

Cursor = Annotated[str | None, Query(max_length=500)]
Limit = Annotated[int, Query(ge=1, le=500)]
XLSX_RESPONSE = {200: {"content": {excel.XLSX: {"schema": {"type": "string", "format": "binary"}}}}}


def _components(items: list[s.ComponentIn]) -> list[service.Component]:
    return [service.Component(c.sku, c.qty) for c in items]


def _new_sku(x: s.ProductSkuIn) -> service.NewSku:
    return service.NewSku(
        code=x.code,
        name=x.name,
        unit=x.unit,
        price_cents=x.price_cents,
        cost_method=x.cost_method,
        safety_stock=x.safety_stock,
        attributes=x.attributes,
        barcodes=x.barcodes,
        tracking=x.tracking,
        shelf_life_days=x.shelf_life_days,
        kind=x.kind,
        components=_components(x.components),
    )


# -- SKUs ----------------------------------------------------------------------------------------


@router.get("/skus", operation_id="listSkus")
def list_skus(
    request: Request,
    actor: Actor = Depends(requires("catalog.sku.read")),
    q: Annotated[str | None, Query(max_length=100, description="Code or name contains, or a barcode")] = None,
    kind: Literal["standard", "bundle"] | None = None,
    active: bool | None = None,
    product_id: int | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[s.SkuOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        items, nxt = service.list_skus(
            uow, q=q, kind=kind, active=active, product_id=product_id, cursor=cursor, limit=limit
        )
    return Page[s.SkuOut](items=[s.SkuOut.model_validate(x) for x in items], next_cursor=nxt)


@router.post("/skus", status_code=201, operation_id="createSku")
def create_sku(
    body: s.SkuIn, request: Request, actor: Actor = Depends(requires("catalog.sku.create"))
) -> s.SkuDetailOut:
    """A standalone SKU, or (``kind: bundle``) a kit of standard SKUs; a bundle's components are
    fixed once created."""
    with unit_of_work(request, actor) as uow:
        sku = service.create_sku(
            uow,
            **body.model_dump(exclude={"components"}),
            components=_components(body.components),
        )
    return s.SkuDetailOut.model_validate(sku)


@router.get("/skus/{sku_id}", operation_id="getSku")
def get_sku(
    sku_id: int, request: Request, actor: Actor = Depends(requires("catalog.sku.read"))
) -> s.SkuDetailOut:
    with unit_of_work(request, actor, readonly=True) as uow:
        return s.SkuDetailOut.model_validate(service.get_sku(uow, sku_id))


@router.patch("/skus/{sku_id}", operation_id="updateSku")
def update_sku(
    sku_id: int,
    body: s.SkuUpdate,
    request: Request,
    actor: Actor = Depends(requires("catalog.sku.update")),
) -> s.SkuDetailOut:
    """Name, price, safety stock, attribute values, shelf life, barcodes. Code, unit, cost method,
    kind and tracking never change."""
    with unit_of_work(request, actor) as uow:
        sku = service.update_sku(uow, sku_id, **body.model_dump(exclude_unset=True))
    return s.SkuDetailOut.model_validate(sku)


@router.post("/skus/{sku_id}/archive", operation_id="archiveSku")
def archive_sku(
    sku_id: int, request: Request, actor: Actor = Depends(requires("catalog.sku.update"))
) -> s.SkuDetailOut:
    with unit_of_work(request, actor) as uow:
        service.set_sku_active(uow, sku_id, False)
        return s.SkuDetailOut.model_validate(service.get_sku(uow, sku_id))


@router.post("/skus/{sku_id}/unarchive", operation_id="unarchiveSku")
def unarchive_sku(
    sku_id: int, request: Request, actor: Actor = Depends(requires("catalog.sku.update"))
) -> s.SkuDetailOut:
    with unit_of_work(request, actor) as uow:
        service.set_sku_active(uow, sku_id, True)
        return s.SkuDetailOut.model_validate(service.get_sku(uow, sku_id))


@router.get("/lookup", operation_id="lookupCode")
def lookup(
    request: Request,
    code: Annotated[str, Query(min_length=1, max_length=64, description="A SKU code or a barcode")],
    actor: Actor = Depends(requires("catalog.sku.read")),
) -> s.LookupOut:
    """The SKU a scanned code names (its SKU code or one of its barcodes); 404 when none."""
    with unit_of_work(request, actor, readonly=True) as uow:
        ref = service.resolve_code(uow, code)
        sku = service.get_sku(uow, ref.id)
    return s.LookupOut(
        matched="code" if ref.code == code else "barcode", sku=s.SkuDetailOut.model_validate(sku)
    )


# -- products ------------------------------------------------------------------------------------


@router.get("/products", operation_id="listProducts")
def list_products(
    request: Request,
    actor: Actor = Depends(requires("catalog.product.read")),
    q: Annotated[
        str | None, Query(max_length=100, description="Product code/name, SKU code or barcode")
    ] = None,
    category: Annotated[str | None, Query(max_length=64, description="A category code (and below)")] = None,
    brand: Annotated[str | None, Query(max_length=64)] = None,
    status: Literal["active", "archived"] | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[s.ProductOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        items, nxt = service.list_products(
            uow, q=q, category=category, brand=brand, status=status, cursor=cursor, limit=limit
        )
    return Page[s.ProductOut](items=[s.ProductOut.model_validate(p) for p in items], next_cursor=nxt)


@router.post("/products", status_code=201, operation_id="createProduct")
def create_product(
    body: s.ProductIn, request: Request, actor: Actor = Depends(requires("catalog.product.create"))
) -> s.ProductDetailOut:
    """A product with its SKUs (the rows of its attribute matrix), all or nothing."""
    with unit_of_work(request, actor) as uow:
        p = service.create_product(
            uow,
            code=body.code,
            name=body.name,
            category=body.category,
            brand=body.brand,
            description=body.description,
            images=body.images,
            attributes=[a.model_dump() for a in body.attributes],
            skus=[_new_sku(x) for x in body.skus],
        )
    return s.ProductDetailOut.model_validate(p)


@router.get("/products/{product_id}", operation_id="getProduct")
def get_product(
    product_id: int, request: Request, actor: Actor = Depends(requires("catalog.product.read"))
) -> s.ProductDetailOut:
    with unit_of_work(request, actor, readonly=True) as uow:
        return s.ProductDetailOut.model_validate(service.get_product(uow, product_id))


@router.patch("/products/{product_id}", operation_id="updateProduct")
def update_product(
    product_id: int,
    body: s.ProductUpdate,
    request: Request,
    actor: Actor = Depends(requires("catalog.product.update")),
) -> s.ProductDetailOut:
    """Attribute definitions may gain values once the product has SKUs, never lose used ones."""
    with unit_of_work(request, actor) as uow:
        p = service.update_product(uow, product_id, **body.model_dump(exclude_unset=True))
    return s.ProductDetailOut.model_validate(p)


@router.post("/products/{product_id}/skus", status_code=201, operation_id="addProductSkus")
def add_product_skus(
    product_id: int,
    body: s.AddSkusIn,
    request: Request,
    actor: Actor = Depends(requires("catalog.product.update")),
) -> s.ProductDetailOut:
    """Add SKUs (new rows of the matrix) to a product, all or nothing."""
    with unit_of_work(request, actor) as uow:
        service.add_skus(uow, product_id, [_new_sku(x) for x in body.skus])
        return s.ProductDetailOut.model_validate(service.get_product(uow, product_id))


@router.post("/products/{product_id}/archive", operation_id="archiveProduct")
def archive_product(
    product_id: int, request: Request, actor: Actor = Depends(requires("catalog.product.update"))
) -> s.ProductDetailOut:
    """Archive a product and its SKUs."""
    with unit_of_work(request, actor) as uow:
        return s.ProductDetailOut.model_validate(service.set_product_status(uow, product_id, "archived"))


@router.post("/products/{product_id}/unarchive", operation_id="unarchiveProduct")
def unarchive_product(
    product_id: int, request: Request, actor: Actor = Depends(requires("catalog.product.update"))
) -> s.ProductDetailOut:
    """Bring back a product and all its SKUs."""
    with unit_of_work(request, actor) as uow:
        return s.ProductDetailOut.model_validate(service.set_product_status(uow, product_id, "active"))


# -- categories and brands -----------------------------------------------------------------------


@router.get("/categories", operation_id="listCategories")
def list_categories(
    request: Request, actor: Actor = Depends(requires("catalog.product.read"))
) -> list[s.CategoryOut]:
    """Every category, parents before children (build the tree from ``parent_id``)."""
    with unit_of_work(request, actor, readonly=True) as uow:
        return [s.CategoryOut.model_validate(c) for c in service.list_categories(uow)]


@router.post("/categories", status_code=201, operation_id="createCategory")
def create_category(
    body: s.CategoryIn, request: Request, actor: Actor = Depends(requires("catalog.category.manage"))
) -> s.CategoryOut:
    with unit_of_work(request, actor) as uow:
        c = service.create_category(uow, code=body.code, name=body.name, parent=body.parent, sort=body.sort)
    return s.CategoryOut.model_validate(c)


@router.patch("/categories/{category_id}", operation_id="updateCategory")
def update_category(
    category_id: int,
    body: s.CategoryUpdate,
    request: Request,
    actor: Actor = Depends(requires("catalog.category.manage")),
) -> s.CategoryOut:
    """Rename, re-order or move a category (``parent`` null: to the top level)."""
    with unit_of_work(request, actor) as uow:
        c = service.update_category(uow, category_id, **body.model_dump(exclude_unset=True))
    return s.CategoryOut.model_validate(c)


@router.delete("/categories/{category_id}", status_code=204, operation_id="deleteCategory")
def delete_category(
    category_id: int, request: Request, actor: Actor = Depends(requires("catalog.category.manage"))
) -> Response:
    """Refused (409) while the category has subcategories or products."""
    with unit_of_work(request, actor) as uow:
        service.delete_category(uow, category_id)
    return Response(status_code=204)


@router.get("/brands", operation_id="listBrands")
def list_brands(
    request: Request, actor: Actor = Depends(requires("catalog.product.read"))
) -> list[s.BrandOut]:
    with unit_of_work(request, actor, readonly=True) as uow:
        return [s.BrandOut.model_validate(b) for b in service.list_brands(uow)]


@router.post("/brands", status_code=201, operation_id="createBrand")
def create_brand(
    body: s.BrandIn, request: Request, actor: Actor = Depends(requires("catalog.brand.manage"))
) -> s.BrandOut:
    with unit_of_work(request, actor) as uow:
        return s.BrandOut.model_validate(service.create_brand(uow, code=body.code, name=body.name))


@router.patch("/brands/{brand_id}", operation_id="updateBrand")
def update_brand(
    brand_id: int,
    body: s.BrandUpdate,
    request: Request,
    actor: Actor = Depends(requires("catalog.brand.manage")),
) -> s.BrandOut:
    with unit_of_work(request, actor) as uow:
        return s.BrandOut.model_validate(service.update_brand(uow, brand_id, name=body.name))


@router.delete("/brands/{brand_id}", status_code=204, operation_id="deleteBrand")
def delete_brand(
    brand_id: int, request: Request, actor: Actor = Depends(requires("catalog.brand.manage"))
) -> Response:
    """Refused (409) while products carry the brand."""
    with unit_of_work(request, actor) as uow:
        service.delete_brand(uow, brand_id)
    return Response(status_code=204)


# -- images --------------------------------------------------------------------------------------


def _image_url(name: str) -> str:
    return f"{router.prefix}/images/{name}"


@router.post("/images", status_code=201, operation_id="uploadImage")
def upload_image(
    request: Request,
    file: Annotated[UploadFile, File(description="PNG, JPEG or WebP, at most 5 MB")],
    actor: Actor = Depends(requires("catalog.image.upload")),
) -> s.ImageOut:
    """Store an image (checked by its content, not its name); put the returned ``name`` in a
    product's ``images``. The same picture uploaded twice gets the same name."""
    img = images.store(file.file.read(images.MAX_BYTES + 1))
    with unit_of_work(request, actor) as uow:
        uow.audit(
            "catalog.image.upload", "image", img.name, after={"size": img.size, "type": img.content_type}
        )
    return s.ImageOut(name=img.name, size=img.size, content_type=img.content_type, url=_image_url(img.name))


@router.get(
    "/images/{name}",
    operation_id="getImage",
    response_class=FileResponse,
    responses={200: {"content": {t: {} for t in images.CONTENT_TYPES.values()}}},
)
def get_image(name: str, actor: Actor = Depends(requires("catalog.product.read"))):
    """An uploaded image. Names are content hashes, so a name's bytes never change."""
    path = images.path_of(name)
    if path is None:
        raise not_found("image", name, zh="图片")
    return FileResponse(
        path,
        media_type=images.content_type(name),
        headers={"Cache-Control": "private, max-age=31536000, immutable"},
    )


# -- Excel ---------------------------------------------------------------------------------------


def _xlsx(data: bytes, filename: str) -> Response:
    return Response(
        content=data,
        media_type=excel.XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/excel/export", operation_id="exportProducts", response_class=Response, responses=XLSX_RESPONSE)
def export_products(
    request: Request,
    actor: Actor = Depends(requires("catalog.product.read")),
    q: Annotated[str | None, Query(max_length=100)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    brand: Annotated[str | None, Query(max_length=64)] = None,
    status: Literal["active", "archived"] | None = None,
):
    """Products and SKUs as an Excel file, one row per SKU, in the import's layout (the same
    filters as the product list; with none, standalone SKUs too; bundles are left out)."""
    with unit_of_work(request, actor, readonly=True) as uow:
        data = excel.export_products(
            uow, language(request), q=q, category=category, brand=brand, status=status
        )
    return _xlsx(data, f"products-{dt.date.today():%Y%m%d}.xlsx")


@router.get(
    "/excel/template", operation_id="importTemplate", response_class=Response, responses=XLSX_RESPONSE
)
def import_template(request: Request, actor: Actor = Depends(requires("catalog.product.read"))):
    """An empty import file with example rows and a sheet explaining each column."""
    return _xlsx(excel.template(language(request)), "product-import-template.xlsx")


@router.post("/excel/import", operation_id="importProducts")
def import_products(
    request: Request,
    file: Annotated[UploadFile, File(description="An .xlsx file in the export's layout, at most 10 MB")],
    actor: Actor = Depends(requires("catalog.import")),
) -> s.ImportResultOut:
    """Create new products and SKUs and update existing SKUs' name, price, safety stock and
    barcodes. A file with any bad row imports nothing: the 422 problem lists every error
    (``errors[]``: row, column, code, zh, en)."""
    data = file.file.read(excel.MAX_FILE_BYTES + 1)
    with unit_of_work(request, actor) as uow:
        result = excel.import_products(uow, data)
    return s.ImportResultOut.model_validate(result)
