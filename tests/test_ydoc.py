"""``NativeDoc`` (pycrdt's native document, unwrapped) answers as pycrdt's public ``Doc``.

The ingest path uses pycrdt's internal layer directly, so this pins it down:
for any sequence of updates written by two clients (map sets and overwrites,
event appends, deletions, an extra root), delivered in any order with
duplicates, the native document and a public ``Doc`` fed the same updates
read the same content, hold the same state, and agree on which updates were
re-sends and which still wait on a missing dependency; when the delta the native
document reports reads as "appended these events", that is exactly the change.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycrdt import Array, Doc, Map, get_update

from sync._ydoc import NativeDoc
from sync.documents import EVENTS, INFO, load, read_content
from sync.validation import _appended
from sync.yencoding import decode_state_vector, update_has_structs

EDITS = st.lists(
    st.tuples(
        st.integers(0, 1),  # which client writes
        st.sampled_from(["set", "append", "delete", "nested", "extra_root"]),
        st.integers(0, 3),
    ),
    min_size=1,
    max_size=12,
)


def _updates(edits: list[tuple[int, str, int]]) -> list[bytes]:
    """The update of each edit, made by two clients that sync after every edit."""
    clients = [Doc(client_id=101), Doc(client_id=202)]
    updates = []
    for who, kind, n in edits:
        doc = clients[who]
        before = doc.get_state()
        info, events = doc.get(INFO, type=Map), doc.get(EVENTS, type=Array)
        if kind == "set":
            info[f"field{n}"] = n * 100
        elif kind == "append":
            events.append({"id": f"e{len(updates)}", "n": n})
        elif kind == "delete" and len(events) > 0:
            del events[n % len(events)]
        elif kind == "nested":
            events.append(Map({"id": f"m{len(updates)}", "amount": n + 0.5}))
        elif kind == "extra_root":
            doc.get("other", type=Map)["x"] = n
        update = doc.get_update(before)
        clients[1 - who].apply_update(update)
        updates.append(update)
    return updates


@settings(max_examples=150, deadline=None)
@given(edits=EDITS, order=st.randoms(use_true_random=False), dupes=st.integers(0, 3))
def test_native_doc_answers_as_the_public_doc(edits, order, dupes):
    updates = _updates(edits)
    delivered = updates + [order.choice(updates) for _ in range(dupes)]
    order.shuffle(delivered)
    public, native = Doc(), NativeDoc()
    before: list[object] = []
    for update in delivered:
        held = not update_has_structs(get_update(update, public.get_state()))
        assert native.holds_all_of(update) == held
        public.apply_update(update)
        roots, integrated, delta = native.integrate(update)
        assert integrated == (not update_has_structs(get_update(update, public.get_state())))
        assert roots | {EVENTS} == set(public.keys()) | {EVENTS}  # it observes its events
        content = read_content(public)
        assert native.read() == (content.info, content.events)
        appended = _appended(delta, len(before))
        if appended is not None:  # the fast path reads only these: they must be all
            assert before + appended == content.events
        else:
            assert delta
        before = content.events
        state, vector = native.encode()
        assert decode_state_vector(vector) == decode_state_vector(public.get_state())
        reloaded = read_content(load(state))
        assert (reloaded.info, reloaded.events) == (content.info, content.events)


def test_bytes_that_do_not_decode_raise_value_error():
    with pytest.raises(ValueError):
        NativeDoc(b"\x05not an update")
    native = NativeDoc()
    with pytest.raises(ValueError):
        native.integrate(b"\xff\xff\xff")
    with pytest.raises(ValueError):
        native.holds_all_of(b"\xff\xff\xff")
    assert native.read() == ({}, [])
