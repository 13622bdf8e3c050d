"""Reading an strace of a real node process: was each acknowledged write fsynced first?

A node is started under ``strace -f`` recording the file and socket calls of
every thread, with their data. :func:`unsynced_acks` then follows each
push the test made over one connection, one at a time: the request read
from the socket, the first WAL page written that holds the push's own
marker (an event id inside its update), the commit frame that ends that
transaction (a WAL frame header whose "database size after commit" is not
zero), and the first write of the answer on the socket. The push is durable
when an ``fsync``/``fdatasync`` of the WAL comes after that commit frame and
before the answer; other transactions (a background worker's) cannot pass
for it, since the marker names the push's own pages.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

STRACE = shutil.which("strace")
CALLS = "read,recvfrom,write,writev,sendto,pwrite64,fsync,fdatasync"
_LINE = re.compile(r"^(\d+) +(\w+)\((\d+)<(.*?)>(?:, |\))(.*)$")
_PWRITE = re.compile(r'^"(.*)", (\d+), \d+\) = \d+$')  # data, length, offset, result
_FRAME_HEADER = 24  # bytes of a WAL frame header; bytes 4..8 are the size after a commit


def traced(log: Path, command: list[str]) -> subprocess.Popen[bytes]:
    """``command`` started under strace, its calls of :data:`CALLS` written to ``log``."""
    assert STRACE is not None, "strace is not installed (apt-get install -y strace)"
    args = [STRACE, "-f", "-qq", "-yy", "-s", "16384", "-e", f"trace={CALLS}", "-o", str(log)]
    return subprocess.Popen([*args, *command], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def tracee(strace: subprocess.Popen[bytes]) -> int:
    """The pid of the process strace started (its only child)."""
    children = Path(f"/proc/{strace.pid}/task/{strace.pid}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


@dataclass(frozen=True, slots=True)
class Call:
    start: int  # line number in the trace where the call was entered
    at: int  # line number where it returned (the same unless another thread cut in)
    name: str
    path: str  # what the fd is: a file path or TCP:[local->peer]
    rest: str  # the call's arguments after the fd, and its result


_UNFINISHED = " <unfinished ...>"
_RESUMED = re.compile(r"^(\d+) +<\.\.\. (\w+) resumed>(.*)$")


def calls(trace: str) -> list[Call]:
    """The calls on a file or socket in a trace, in the order they returned; a call
    another thread cut in two (``<unfinished ...>`` .. ``resumed>``) is joined."""
    found, pending = [], {}
    for at, line in enumerate(trace.splitlines()):
        if line.endswith(_UNFINISHED):
            pending[line.split(" ", 1)[0]] = (at, line.removesuffix(_UNFINISHED))
            continue
        start = at
        resumed = _RESUMED.match(line)
        if resumed:
            if resumed[1] not in pending:
                continue
            start, head = pending.pop(resumed[1])
            line = head + resumed[3]
        m = _LINE.match(line)
        if m:
            found.append(Call(start, at, m[2], m[4], m[5]))
    return found


def _is_commit_frame(call: Call) -> bool:
    """A WAL frame header of a transaction's last frame (its commit)."""
    m = _PWRITE.match(call.rest)
    if call.name != "pwrite64" or m is None or int(m[2]) != _FRAME_HEADER:
        return False
    data = _unescape(m[1])
    return len(data) == _FRAME_HEADER and data[4:8] != b"\0\0\0\0"


def _unescape(text: str) -> bytes:
    """The bytes strace printed as a C string literal."""
    return text.encode("latin-1").decode("unicode_escape").encode("latin-1")


def unsynced_acks(trace: str, socket_port: int, markers: list[str]) -> list[str]:
    """The markers whose push (made one at a time, in order, on a connection to
    ``socket_port``) was answered before its commit was fsynced, or whose
    write was not seen at all; empty when every answer followed its fsync."""
    found = calls(trace)
    port = f"127.0.0.1:{socket_port}->"
    wal = [c for c in found if c.path.endswith("-wal")]
    answers = [
        c
        for c in found
        if c.path.startswith(f"TCP:[{port}") and c.name in ("write", "writev", "sendto")
    ]
    requests = [
        c
        for c in found
        if c.path.startswith(f"TCP:[{port}")
        and c.name in ("read", "recvfrom")
        and "POST /sync/push" in c.rest
    ]
    assert len(requests) >= len(markers), "fewer push requests traced than made"
    bad = []
    for marker, request in zip(markers, requests[-len(markers) :], strict=True):
        answer = next(c for c in answers if c.start > request.at)
        page = next((c for c in wal if request.at < c.at < answer.start and marker in c.rest), None)
        commit = page and next(
            (c for c in wal if c.at >= page.at and _is_commit_frame(c)),
            None,
        )
        synced = commit and any(
            c.name in ("fsync", "fdatasync") and commit.at < c.start and c.at < answer.start
            for c in wal
        )
        if not synced:
            bad.append(marker)
    return bad
