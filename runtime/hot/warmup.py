"""What start-up leaves for first use, built while the server is idle.

Start-up imports no generated router and builds no Pydantic validator (runtime.web.routes,
runtime.hot.read): the app answers within about a second. Left alone, the first request to
each group of routes or entity would pay for that work. Instead, right after start-up,
``warm_up`` builds it one small piece at a time, and only once no request has been in flight
for QUIET_S, so it never stands between a client and its answer for longer than one piece.
Under load the pieces wait, and each is built by the first request that needs it. "No request
in flight" alone was not enough: under a steady load a process's count of requests in flight
touches zero between one answer and the next request many times a second, and a piece started
there (up to 37 ms) held up the requests that came next.

What a piece builds lives as long as the process, so it is frozen at once (``gc.freeze``), out
of the collector's full passes. Left to age, the pieces' objects made the collector's own full
passes over them stop the server for 200 ms at a time, and one more such pass ended the
warm-up; frozen piece by piece, the longest piece at 120 entities took 28-37 ms instead of
206-209 ms, and the end nothing. The price is the few thousand objects of cyclic garbage the
pieces leave, frozen with them.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runtime.hot.read import Route
    from runtime.web.routes import LazyGroup

IDLE_POLL_S = 0.01
QUIET_S = 0.1  # no request for this long: the load, if any, has paused
log = logging.getLogger("cxg.warmup")


class Activity:
    """Requests in flight and when the last one ended, kept by
    runtime.web.middleware.RequestContextMiddleware."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.last = time.monotonic()

    def begin(self) -> None:
        self.in_flight += 1  # idle() waits while any is in flight: the end sets the time

    def end(self) -> None:
        self.in_flight -= 1
        self.last = time.monotonic()

    async def idle(self) -> None:
        """Return once no request has been in flight for QUIET_S."""
        await asyncio.sleep(0)
        while self.in_flight or time.monotonic() - self.last < QUIET_S:
            await asyncio.sleep(IDLE_POLL_S)


async def warm_up(
    activity: Activity, hot_routes: Iterable[Route], groups: Iterable[LazyGroup]
) -> None:
    started = time.perf_counter()
    hot_routes, groups = list(hot_routes), list(groups)
    for route in hot_routes:
        await activity.idle()
        route.prepare()
        gc.freeze()
    for group in groups:
        done = False
        while not done:
            await activity.idle()
            done = group.build_one()
            gc.freeze()
    log.info(
        "warmed up %d entities' reads and %d route groups in %.1f s",
        len(hot_routes),
        len(groups),
        time.perf_counter() - started,
    )
