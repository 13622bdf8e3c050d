"""Proof-of-delivery files at central: ``PUT /sync/proofs/{sha256}`` and the office's reads.

A device uploads each signature or photo its deliveries refer to, after (or
beside) the events, never holding them up (:mod:`sync.proof_http`, the same
route a depot serves its handhelds). Central keeps the files it accepts
content-addressed beside its database.
"""

from .files import ProofFiles
from .routes import proof_handlers

__all__ = ["ProofFiles", "proof_handlers"]
