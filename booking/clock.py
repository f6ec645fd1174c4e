"""The one clock of the application; tests freeze it with time-machine.

A server started by the load tests or the benchmark may run its clock shifted by CLOCK_SHIFT_SECONDS (read
once, at import): the opening rush puts the instant a week's slots open where the clients wait for it. No
deployment sets it.
"""

import os
from datetime import UTC, datetime, timedelta

_SHIFT = timedelta(seconds=float(os.environ.get("CLOCK_SHIFT_SECONDS") or 0))


def now() -> datetime:
    return datetime.now(UTC) + _SHIFT
