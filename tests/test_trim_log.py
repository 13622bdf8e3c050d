"""Trimming central's update log: the age cutoff, the webhook scanner's bound, the command."""

from __future__ import annotations

import asyncio

import pytest
from click.testing import CliRunner

from parcelsync_cli import main
from protocol.wire import Hello, PullRequest
from server.maintenance import DAY_MS, is_central_file, trim_log
from server.store import CentralStore
from server.webhooks.scanner import scan
from sync import ReplicaStore, SyncServer
from sync._records import now_ms
from tests.core_helpers import COURIER, lookup, seeded_central
from tests.pg import STORE_KINDS, store_path


async def test_rows_the_webhook_scanner_has_not_read_stay(tmp_path):
    store, _ = await seeded_central(tmp_path / "central.db", 3, CentralStore)
    async with store:
        head = await store.head()
        done = await trim_log(store, 0, now_ms() + 1000)
        assert (done.rows, done.up_to_seq, done.held_back) == (0, 0, True)
        assert await store.head() == head and await store.log_floor() == 0
        assert (await store.query("SELECT count(*) FROM update_log"))[0][0] == head


async def test_trimmed_log_answers_old_cursors_with_every_document(tmp_path):
    store, ids = await seeded_central(tmp_path / "central.db", 3, CentralStore)
    async with store:
        await scan(store, now_ms())
        head = await store.head()
        done = await trim_log(store, 0, now_ms() + 1000)
        assert (done.rows, done.up_to_seq, done.held_back) == (head, head, False)
        assert await store.log_floor() == head
        assert await store.query("SELECT seq FROM update_log") == []
        answer = await SyncServer(store, lookup).pull(COURIER, PullRequest(Hello("hh1"), 1))
        assert answer.snapshot
        assert sorted(d.doc_id for d in answer.entering) == sorted(ids)


async def test_rows_younger_than_the_kept_days_stay_and_a_dry_run_drops_nothing(tmp_path):
    store, _ = await seeded_central(tmp_path / "central.db", 3, CentralStore)
    async with store:
        await scan(store, now_ms())
        head = await store.head()
        kept = await trim_log(store, 30 * DAY_MS, now_ms())
        assert (kept.rows, kept.held_back) == (0, False)
        dry = await trim_log(store, 30 * DAY_MS, now_ms() + 31 * DAY_MS, dry_run=True)
        assert (dry.rows, dry.up_to_seq) == (head, head)
        assert (await store.query("SELECT count(*) FROM update_log"))[0][0] == head
        assert await store.log_floor() == 0
        with pytest.raises(ValueError, match="keep_ms"):
            await trim_log(store, -1, now_ms())


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_the_command_trims_a_central_file_and_refuses_any_other(kind, tmp_path):
    path, edge_file = (store_path(kind, tmp_path, name) for name in ("central", "handheld"))

    async def files() -> int:
        store, _ = await seeded_central(path, 3, CentralStore)
        async with store:
            await scan(store, now_ms())
            head = await store.head()
        await (await ReplicaStore.open(edge_file)).close()
        return head

    head = asyncio.run(files())
    runner = CliRunner()
    result = runner.invoke(main, ["trim-log", "--db", str(path), "--keep-days", "0"])
    assert result.exit_code == 0, result.output
    assert f"dropped {head} log rows (log floor: seq {head})" in result.output
    again = runner.invoke(main, ["trim-log", "--db", str(path), "--keep-days", "0"])
    assert f"dropped 0 log rows (log floor: seq {head})" in again.output

    refused = runner.invoke(main, ["trim-log", "--db", str(edge_file)])
    assert refused.exit_code == 2
    assert "--db" in refused.output and "not a central replica file" in refused.output
    assert not is_central_file(edge_file)
    negative = runner.invoke(main, ["trim-log", "--db", str(path), "--keep-days", "-1"])
    assert negative.exit_code == 2 and "--keep-days" in negative.output
