"""The ordered process map: order, the memory room shared by the items in flight, and the
first error ending the map at once (docs/SECURITY.md)."""
import os
import signal
import sys
import threading
import time

import psutil
import pytest

from pcz.errors import LimitError
from pcz.runtime import interrupts
from pcz.runtime.parallel import ordered_map


def _timed(item, ctx):
    """(item, start, end) after sleeping item[1] seconds; item[2] set: raise instead."""
    start = time.monotonic()
    if item[2]:
        raise ValueError(f"item {item[0]} failed")
    time.sleep(item[1])
    return item[0], start, time.monotonic()


def _overlap(spans) -> int:
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    most = now = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


def _workers_alive(before: set) -> list:
    return [p for p in psutil.Process().children(recursive=True)
            if p.pid not in before and p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def test_results_keep_their_order_and_the_room_limits_what_is_in_flight():
    items = [(i, 0.3, False) for i in range(8)]
    # each item costs 10; room 30: the item just handed on and at most two more at once
    bounded = list(ordered_map(_timed, items, workers=4, cost=lambda item: 10, room=30))
    assert [r[0] for r in bounded] == list(range(8)) and _overlap([r[1:] for r in bounded]) <= 3


def test_an_item_that_cannot_fit_is_refused():
    with pytest.raises(LimitError, match="a chunk needs 40 bytes"):
        list(ordered_map(_timed, [(0, 0, False)], workers=2, cost=lambda item: 40, room=30))
    done = []
    with pytest.raises(LimitError, match="with the one before it"):
        for r in ordered_map(_timed, [(0, 0, False), (1, 0, False)], workers=1,
                             cost=lambda item: 20, room=30):
            done.append(r[0])
    assert done == [0]


def test_room_can_shrink_as_the_consumer_keeps_results():
    kept = [0]

    def room():
        return 50 - kept[0]
    with pytest.raises(LimitError):
        for _ in ordered_map(_timed, [(i, 0, False) for i in range(5)], workers=2, cost=lambda i: 10, room=room):
            kept[0] += 10


def test_the_first_error_stops_everything_at_once():
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    items = [(0, 30.0, False), (1, 0.0, True), (2, 30.0, False), (3, 30.0, False)]
    t0 = time.monotonic()
    with pytest.raises(ValueError, match="item 1 failed"):
        list(ordered_map(_timed, items, workers=2))
    assert time.monotonic() - t0 < 20          # not the 30 s the first item would take
    assert not _workers_alive(before)          # killed, not left running


def test_a_consumer_that_stops_early_stops_the_workers():
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    t0 = time.monotonic()
    results = ordered_map(_timed, [(0, 0.0, False)] + [(i, 30.0, False) for i in range(1, 5)], workers=2)
    assert next(results)[0] == 0
    results.close()
    assert time.monotonic() - t0 < 20 and not _workers_alive(before)


def _no_context(reason):
    raise ValueError(reason)


def test_a_context_that_cannot_be_made_is_the_callers_error_not_a_broken_pool():
    with pytest.raises(ValueError, match="invalid model"):
        list(ordered_map(_timed, [(0, 0, False), (1, 0, False)], workers=2, make_context=_no_context,
                         context_args=("invalid model",)))


@pytest.mark.parametrize("blocked", [(signal.SIGINT,), (signal.SIGINT, signal.SIGTERM)])
def test_an_interrupt_while_workers_start_waits_until_they_have_started(blocked):
    """Once a pool has threads, Ctrl-C reaches the process through one of them whatever the
    main thread's mask; Python then ran the handler in the middle of starting a worker,
    which was left to fail on its own with a traceback (seen as a rare CI failure).  The
    map holds signals as :func:`interrupts.held` does (with SIGINT blocked: the workers'
    mask), and the output files' default hold is the same mechanism."""
    other = threading.Thread(target=time.sleep, args=(2,))
    other.start()                                 # a thread that does not block SIGINT
    reached = False
    with pytest.raises(KeyboardInterrupt):
        with interrupts.held(blocked):
            os.kill(os.getpid(), signal.SIGINT)   # to the process: the kernel picks the other thread
            for _ in range(200):
                time.sleep(0.001)                 # where the handler would have run
            reached = True
    assert reached
    other.join()


def test_an_interrupt_that_something_swallowed_still_ends_the_wait_for_workers():
    """The handler can run inside a finaliser, which swallows its KeyboardInterrupt: only the
    flag is left.  The map must see it while waiting, not after the chunk (seconds, minutes)."""
    hooks = sys.unraisablehook, sys.excepthook          # an interrupted run keeps quiet ones
    restore = interrupts.install()
    try:
        threading.Timer(0.5, interrupts._flag.set).start()      # what the handler leaves
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            list(ordered_map(_timed, [(0, 60, False), (1, 60, False)], workers=2))
        assert time.monotonic() - started < 30
    finally:
        restore()
    try:
        assert list(ordered_map(_timed, [(0, 0, False)], workers=1))[0][0] == 0    # the run it ended is over
    finally:
        interrupts._flag.clear()
        sys.unraisablehook, sys.excepthook = hooks
