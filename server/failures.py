"""App-wide answers for failures no handler catches itself.

- a body nested deeper than the decoder follows (``RecursionError``) is 400;
- a number too large to store (``OverflowError``: SQLite integers are 64-bit) is 400;
- a storage fault (full disk, read-only file, see :func:`sync.faults.storage_fault`)
  is 503 with the reason and a ``Retry-After``, and is logged; any other database
  error stays a 500, logged with its traceback.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from litestar import Request, Response
from litestar.types import ExceptionHandlersMap

from sync.faults import storage_fault

log = logging.getLogger("parcelsync.server")
RETRY_AFTER_S = 30


def _answer(status: int, code: str, detail: str, **headers: str) -> Response[Any]:
    body = {"status_code": status, "code": code, "detail": detail}
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def on_too_deep(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    """400: the request body nests arrays or maps past what any message needs."""
    return _answer(400, "body_too_deep", "request body: nested too deep (arrays or maps)")


def on_overflow(request: Request[Any, Any, Any], exc: OverflowError) -> Response[Any]:
    """400: a number in the request is outside the 64-bit range."""
    return _answer(400, "number_out_of_range", f"a number in the request is out of range: {exc}")


def on_database_error(request: Request[Any, Any, Any], exc: sqlite3.Error) -> Response[Any]:
    """503 for a storage fault (logged with its reason), else a logged 500."""
    reason = storage_fault(exc)
    where = f"{request.method} {request.url.path}"
    if reason is None:
        log.error("%s failed on a database error", where, exc_info=exc)
        return _answer(500, "internal_error", "internal server error")
    log.error("%s refused: %s (%s)", where, reason, exc)
    return _answer(503, "storage_unavailable", reason, **{"retry-after": str(RETRY_AFTER_S)})


def failure_handlers() -> ExceptionHandlersMap:
    """The handlers above, for ``Litestar(exception_handlers=...)``."""
    return {
        RecursionError: on_too_deep,
        OverflowError: on_overflow,
        sqlite3.Error: on_database_error,
    }
