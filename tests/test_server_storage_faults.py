"""A full disk or a read-only file: writes answer 503 with the reason, the
server logs it, and writes work again once there is space.

The full disk is a real small filesystem (a tmpfs mounted with a size limit;
skipped where this process may not mount one); the read-only file is a real
file of mode 0444.
"""

from __future__ import annotations

import errno
import os
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .server_fixtures import Central, start_central, stop_central

SIZE = "6m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A mounted tmpfs of ``SIZE``, unmounted after the test."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def central_on_small_disk(small_disk: Path, tmp_path: Path) -> Iterator[tuple[Central, Path]]:
    log = tmp_path / "central.log"
    server = start_central(small_disk / "central.db", log=log)
    yield server, log
    stop_central(server)


def _fill(path: Path) -> None:
    """Write ``path`` until the filesystem has no space left."""
    chunk = bytes(64 * 1024)
    with open(path, "wb", buffering=0) as f:  # unbuffered: closing has nothing left to write
        try:
            while True:
                f.write(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


def _create(api: httpx.Client) -> httpx.Response:
    shipment = {"order_ref": uuid.uuid4().hex, "currency": "EUR", "merchant_id": "M-disk"}
    return api.post("/api/v1/shipments", json=shipment)


def _until_refused(api: httpx.Client, tries: int = 400) -> httpx.Response:
    """Create shipments until one is refused (the free pages of the files run out)."""
    for _ in range(tries):
        answer = _create(api)
        if answer.status_code != 201:
            return answer
    raise AssertionError(f"{tries} shipments were stored on a full disk")


def test_full_disk_answers_503_logs_it_and_recovers(
    central_on_small_disk: tuple[Central, Path], small_disk: Path
):
    central, log = central_on_small_disk
    filler = small_disk / "filler"
    with central.api() as api:
        assert _create(api).status_code == 201
        try:
            _fill(filler)
            refused = _until_refused(api)
        finally:
            filler.unlink()
        again = _create(api)
    assert refused.status_code == 503, refused.text
    assert refused.json()["code"] == "storage_unavailable"
    assert "disk is full" in refused.json()["detail"]
    assert refused.headers["retry-after"]
    assert again.status_code == 201, again.text
    stop_central(central)  # the log is written by a queue listener: stopping flushes it
    assert "disk is full" in log.read_text()


NOBODY = 65534


@pytest.fixture
def read_only_central(tmp_path: Path) -> Iterator[tuple[Central, Path]]:
    """A central whose database file was made read-only (0444) before it started;
    run as root, the server runs as nobody so that the mode binds it."""
    user = NOBODY if os.geteuid() == 0 else None
    with tempfile.TemporaryDirectory() as place:  # pytest's tmp_path is closed to nobody
        folder = Path(place)
        db = folder / "central.db"
        stop_central(start_central(db))  # a clean stop leaves no -wal or -shm file
        if user is not None:
            os.chown(folder, user, user)
            os.chown(db, user, user)
            secret = Path(f"{db}.secret")  # the office session secret, beside it
            if secret.exists():
                os.chown(secret, user, user)
        folder.chmod(0o755)
        db.chmod(0o444)
        log = tmp_path / "central.log"
        server = start_central(db, log=log, user=user)
        yield server, log
        stop_central(server)


def test_read_only_database_answers_503_and_logs_it(read_only_central: tuple[Central, Path]):
    central, log = read_only_central
    with central.api() as api:
        refused = _create(api)
        listed = api.get("/api/v1/shipments")
    assert refused.status_code == 503, refused.text
    assert refused.json()["code"] == "storage_unavailable"
    assert "read-only" in refused.json()["detail"]
    assert listed.status_code == 200, listed.text  # reads still work
    stop_central(central)  # the log is written by a queue listener: stopping flushes it
    assert "read-only" in log.read_text()
