"""OmniStock: self-hosted all-in-one back office for multi-channel e-commerce sellers."""

__version__ = "0.1.0"
