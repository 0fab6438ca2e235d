"""Latest-wins and debounce, the pure policy under the app's preview jobs (no Qt, no threads, a fake clock)."""

from seethrough.core.scheduling import Debounce, LatestWins


def test_a_new_request_supersedes_the_queued_one_with_its_key():
    queue: LatestWins[str] = LatestWins()
    assert queue.push("fit layer a", key="fit") == []
    assert queue.push("save", key=None) == []
    assert queue.push("check 1", key="check") == []
    assert queue.push("fit layer b", key="fit") == ["fit layer a"]
    assert queue.push("save again", key=None) == []  # keyless requests never replace each other
    assert list(queue) == ["save", "check 1", "fit layer b", "save again"]
    assert queue.pop() == "save" and len(queue) == 3
    assert queue.remove("check 1") and not queue.remove("check 1")
    assert queue.drain() == ["fit layer b", "save again"] and queue.pop() is None


def test_debounce_is_due_once_the_requests_stop():
    now = [0.0]
    debounce = Debounce(0.1, clock=lambda: now[0])
    assert not debounce.due() and debounce.remaining() == float("inf")
    debounce.poke()
    now[0] = 0.05
    debounce.poke()  # a burst: the wait restarts
    now[0] = 0.12
    assert not debounce.due() and abs(debounce.remaining() - 0.03) < 1e-9
    now[0] = 0.16
    assert debounce.due()
    assert not debounce.due() and not debounce.pending  # once per burst
