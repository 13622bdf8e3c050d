"""Reading printed paper back: the PDF's text, and the barcodes a scanner would see."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader


def pdf_text(pdf: bytes) -> str:
    """All pages' text, as a PDF reader extracts it."""
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def scanned(pdf: bytes, tmp_path: Path, dpi: int = 300) -> list[tuple[str, str]]:
    """``(format, text)`` of every barcode on the first page, rendered by poppler."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: cannot rasterise the PDF")
    source = tmp_path / "scan.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(dpi),
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(source),
            str(tmp_path / "scan"),
        ],
        check=True,
    )
    with Image.open(tmp_path / "scan.png") as image:
        found = zxingcpp.read_barcodes(image.convert("L"))
    return sorted((str(b.format), b.text) for b in found)
