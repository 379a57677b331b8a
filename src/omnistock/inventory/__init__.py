"""Inventory: warehouses, the stock ledger, balances, reservations and valuation (costing)."""
