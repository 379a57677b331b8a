"""Fulfilment (WMS): courier choice, waves, picking, the pack station, shipments and returns intake."""
