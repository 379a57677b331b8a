"""Purchasing: suppliers and goods received from them (purchase orders come next)."""
