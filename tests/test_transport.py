"""The websocket transport: RFC 6455 text frames, and frames queued together
written together, in order."""

import struct

import pytest

from baithak.transport import CoalescingWebSocket, text_frame


@pytest.mark.parametrize(
    ("size", "header"),
    [
        (0, b"\x81\x00"),
        (125, b"\x81\x7d"),
        (126, b"\x81\x7e" + struct.pack("!H", 126)),
        (65535, b"\x81\x7e" + struct.pack("!H", 65535)),
        (65536, b"\x81\x7f" + struct.pack("!Q", 65536)),
    ],
)
def test_text_frames_follow_rfc_6455(size, header):
    payload = b"x" * size
    assert text_frame(payload) == header + payload


class Later:
    """Stands in for eventlet.spawn: runs what was spawned when told to."""

    def __init__(self) -> None:
        self.spawned: list = []

    def __call__(self, fn) -> None:
        self.spawned.append(fn)

    def run(self) -> None:
        spawned, self.spawned = self.spawned, []
        for fn in spawned:
            fn()


class FakeWebSocket:
    """Records the socket writes a websocket makes."""

    def __init__(self, fail: bool = False) -> None:
        self.writes: list[bytes] = []
        self.sent_directly: list[object] = []
        self.closed = False
        self.fail = fail
        self.environ = {"k": "v"}

    def _send(self, data: bytes) -> None:
        if self.fail:
            raise BrokenPipeError("gone")
        self.writes.append(data)

    def send(self, message, **kw) -> None:
        self.sent_directly.append(message)

    def close(self) -> None:
        self.closed = True


def test_frames_sent_together_go_out_in_one_write_in_order():
    ws, later = FakeWebSocket(), Later()
    coalescing = CoalescingWebSocket(ws, later)
    for text in ("42[one]", "42[two]", "42[three]"):
        coalescing.send(text)
    assert ws.writes == []  # nothing yet: the writer has not yielded
    assert len(later.spawned) == 1  # one write for the three
    later.run()
    assert ws.writes == [
        text_frame(b"42[one]") + text_frame(b"42[two]") + text_frame(b"42[three]")
    ]
    coalescing.send("42[four]")
    later.run()
    assert ws.writes[1:] == [text_frame(b"42[four]")]


def test_close_writes_what_is_pending_first():
    ws, later = FakeWebSocket(), Later()
    coalescing = CoalescingWebSocket(ws, later)
    coalescing.send("42[last words]")
    coalescing.close()
    assert ws.writes == [text_frame(b"42[last words]")]
    assert ws.closed
    later.run()  # the spawned write finds nothing left
    assert len(ws.writes) == 1


def test_binary_goes_out_after_what_is_pending():
    ws = FakeWebSocket()
    coalescing = CoalescingWebSocket(ws, Later())
    coalescing.send("42[text]")
    coalescing.send(b"\x00binary")
    assert ws.writes == [text_frame(b"42[text]")]
    assert ws.sent_directly == [b"\x00binary"]


def test_a_failed_write_stops_the_next_send():
    later = Later()
    coalescing = CoalescingWebSocket(FakeWebSocket(fail=True), later)
    coalescing.send("42[x]")
    later.run()
    with pytest.raises(BrokenPipeError):
        coalescing.send("42[y]")


def test_everything_else_is_the_websocket_itself():
    ws = FakeWebSocket()
    assert CoalescingWebSocket(ws, Later()).environ is ws.environ


def test_a_client_that_does_not_read_is_dropped_not_buffered_forever():
    from baithak.transport import MAX_PENDING_BYTES

    coalescing = CoalescingWebSocket(FakeWebSocket(), Later())  # never flushed
    chunk = "42[" + "x" * 100_000 + "]"
    with pytest.raises(ConnectionError):
        for _ in range(MAX_PENDING_BYTES // len(chunk) + 2):
            coalescing.send(chunk)
    with pytest.raises(ConnectionError):
        coalescing.send("42[more]")


def test_one_writer_per_connection_while_a_write_is_under_way():
    ws, later = FakeWebSocket(), Later()
    coalescing = CoalescingWebSocket(ws, later)
    coalescing.send("42[a]")
    coalescing.send("42[b]")
    assert len(later.spawned) == 1
    later.run()
    coalescing.send("42[c]")
    assert len(later.spawned) == 1  # the first write ended: a new one for "c"
    later.run()
    assert ws.writes == [
        text_frame(b"42[a]") + text_frame(b"42[b]"),
        text_frame(b"42[c]"),
    ]
