"""Every API test stands at NOW (tests.api.api_helpers), 09:00 on a Tuesday in Jiaozuo."""

from tests.api.api_helpers import NOW
from tests.conftest import clock_frozen_at

frozen_clock = clock_frozen_at(NOW)
