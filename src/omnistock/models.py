"""Every area's tables, imported so that one metadata describes the whole schema."""

from omnistock.catalog import models as _catalog  # noqa: F401
from omnistock.finance import arap_models as _finance_arap  # noqa: F401
from omnistock.finance import models as _finance  # noqa: F401
from omnistock.finance import profit_models as _finance_profit  # noqa: F401
from omnistock.finance import reconcile_models as _reconcile  # noqa: F401
from omnistock.fulfillment import models as _fulfillment  # noqa: F401
from omnistock.identity import models as _identity  # noqa: F401
from omnistock.inventory import models as _inventory  # noqa: F401
from omnistock.orders import models as _orders  # noqa: F401
from omnistock.platform import audit as _audit  # noqa: F401
from omnistock.platform import checkpoint as _checkpoint  # noqa: F401
from omnistock.platform import idempotency as _idempotency  # noqa: F401
from omnistock.platform import notifications as _notifications  # noqa: F401
from omnistock.platform import outbox as _outbox  # noqa: F401
from omnistock.platform.db import metadata
from omnistock.purchasing import models as _purchasing  # noqa: F401

__all__ = ["metadata"]
