"""Errors raised by the edge node; the CLI prints each as one line and exits 1.

EdgeError
 ├── NotEnrolled           the replica has no device identity yet: run ``edge enroll``
 ├── WrongRole             a courier command on a depot node, or the reverse
 ├── NotFound
 │    ├── UnknownParcel     no shipment with that tracking number, barcode or id
 │    └── UnknownDocument   no such return, cash book or handover on this node
 ├── OutOfScope            the document belongs to another route or depot
 ├── CommandRefused        a business rule says no; nothing was written
 │    ├── InvalidTransition the status does not allow this step
 │    ├── AlreadyRecorded   delivered twice, collected twice, graded twice ...
 │    ├── OtpRejected       the OTP/PIN is missing or wrong
 │    ├── AmountMismatch    an amount the books do not allow (COD without reason, deposit)
 │    ├── CashLimitReached  the courier's cash in hand would pass the limit
 │    ├── NothingToDo       nothing to hand over, deposit, restock ...
 │    └── InvalidInput      a malformed argument (amount, SKU, quantity, code)
 └── NodeStateError        start twice, stop before start, ...
"""

from __future__ import annotations


class EdgeError(Exception):
    """Base of every edge error; ``code`` is machine-readable."""

    code = "edge_error"


class NotEnrolled(EdgeError):
    code = "not_enrolled"


class WrongRole(EdgeError):
    code = "wrong_role"


class NotFound(EdgeError):
    code = "not_found"


class UnknownParcel(NotFound):
    code = "unknown_parcel"


class UnknownDocument(NotFound):
    code = "unknown_document"


class OutOfScope(EdgeError):
    code = "out_of_scope"


class CommandRefused(EdgeError):
    code = "refused"


class InvalidTransition(CommandRefused):
    code = "invalid_transition"


class AlreadyRecorded(CommandRefused):
    code = "already_recorded"


class OtpRejected(CommandRefused):
    code = "otp_rejected"


class AmountMismatch(CommandRefused):
    code = "amount_mismatch"


class CashLimitReached(CommandRefused):
    code = "cash_limit_reached"


class NothingToDo(CommandRefused):
    code = "nothing_to_do"


class InvalidInput(CommandRefused):
    code = "invalid_input"


class NodeStateError(EdgeError):
    code = "node_state"
