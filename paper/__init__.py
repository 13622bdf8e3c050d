"""Paper: shipping labels and route manifests as PDF bytes (reportlab).

Rendering is pure (data in, bytes out, no clock: ``invariant`` PDFs), so the
merchant API, the depot's CLI and the office print the same thing.
"""

from .label import label_pdf
from .manifest import ManifestStop, manifest_pdf

__all__ = ["ManifestStop", "label_pdf", "manifest_pdf"]
