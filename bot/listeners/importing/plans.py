"""Plans this process just previewed, kept a few minutes so that "Import" need not read the file again.

Only a shortcut: the job in the database has everything an import needs, and any process (a restart, a
second instance) plans the file again when it has no plan here. A plan is used only for the job state
it was made for (the job's ``updated_at`` after ``record_plan``); apply classifies the rows again in its
transaction anyway, so a list changed meanwhile is still handled. At most ``KEEP`` plans are kept (a
100,000-row plan holds tens of MB), each for ``TTL`` seconds; a plan left or replaced is closed.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from handlers.importing import Plan

KEEP = 2
TTL = 15 * 60.0

_PLANS: OrderedDict[tuple[str, int], tuple[str, float, Plan]] = OrderedDict()
_LOCK = threading.Lock()


def keep(tenant: str, job_id: int, state: str, plan: Plan) -> None:
    """Keep ``plan`` for the job in ``state``; the oldest kept plans are closed beyond ``KEEP``."""
    with _LOCK:
        dropped = [entry[2] for entry in [_PLANS.pop((tenant, job_id), None)] if entry is not None]
        _PLANS[(tenant, job_id)] = (state, time.monotonic() + TTL, plan)
        while len(_PLANS) > KEEP:
            dropped.append(_PLANS.popitem(last=False)[1][2])
    for old in dropped:
        old.close()


def take(tenant: str, job_id: int, state: str) -> Plan | None:
    """The plan kept for the job in ``state`` (given away: kept no more), or None."""
    with _LOCK:
        entry = _PLANS.pop((tenant, job_id), None)
    if entry is None:
        return None
    kept_state, until, plan = entry
    if kept_state != state or time.monotonic() > until:
        plan.close()
        return None
    return plan
