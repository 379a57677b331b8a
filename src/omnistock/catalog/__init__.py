"""Catalog: SKUs (and later products, attributes, barcodes, bundles)."""
