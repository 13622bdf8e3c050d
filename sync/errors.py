"""Errors raised by the sync layer.

SyncError
 ├── BadUpdate          bytes that do not decode as a Yjs update
 ├── UnknownDocType     a doc_type that is not shipment / return / cashbook
 ├── UnknownDocument    a document this replica does not hold
 ├── ScopeDenied        a pull for a scope the device may not read
 └── StoreError         the replica file is missing, newer than this code, or corrupt
"""

from __future__ import annotations


class SyncError(Exception):
    """Base of the sync layer's errors; ``code`` is machine-readable."""

    code = "sync_error"


class BadUpdate(SyncError):
    code = "bad_update"


class UnknownDocType(SyncError):
    code = "unknown_doc_type"


class UnknownDocument(SyncError):
    code = "unknown_document"


class ScopeDenied(SyncError):
    code = "scope_denied"


class StoreError(SyncError):
    code = "store_error"
