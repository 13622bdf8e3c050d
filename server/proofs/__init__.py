"""Proof-of-delivery files at central: ``PUT /sync/proofs/{sha256}`` and the office's reads.

A device uploads each signature or photo its deliveries refer to, after (or
beside) the events, never holding them up. Central stores a file only when
its bytes hash to its name, it is a picture within the size limit
(:mod:`protocol.proofs`), and a delivery of the named shipment written by
that device refers to it; files live content-addressed beside the database.
"""

from .files import DeliveryProof, ProofFiles, delivery_proofs
from .routes import proof_handlers

__all__ = ["DeliveryProof", "ProofFiles", "delivery_proofs", "proof_handlers"]
