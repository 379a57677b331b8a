"""Every module that subscribes to in-transaction events (``platform.events``), loaded the first
time an event is published, so that no posting is ever missed because nobody imported it."""

from omnistock.finance import postings as _finance_postings  # noqa: F401
from omnistock.finance import profit as _finance_profit  # noqa: F401
