"""Reading a charger's QR label from a camera photo (OpenCV).

The label holds the charger id, either as plain text (``SITE-001-AC-01``) or as a URL whose
last path part is the id (``https://fix.example.com/c/SITE-001-AC-01``). Without OpenCV the
finder asks for the typed id instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

try:  # a dependency of ChargeFix, but the typed id keeps working without it
    import cv2
    import numpy as np

    QR_AVAILABLE = True
except ImportError:
    QR_AVAILABLE = False

# What a charger id may look like (OCPP identity: printable, no spaces or slashes).
CHARGER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:*+@-]{0,63}$")
MIN_SIDE = 600  # small photos are enlarged before a second attempt


@dataclass(frozen=True)
class ScanResult:
    charger_id: str | None  # the id to open, when the label was read
    text: str | None = None  # what the QR code held
    problem: str | None = None  # for the partner: what went wrong and what to do


def charger_id_from_label(text: str) -> str | None:
    """The charger id in a label's text: the text itself, or a URL's last path part."""
    text = text.strip()
    if "://" in text:
        parts = [p for p in urlparse(text).path.split("/") if p]
        text = unquote(parts[-1]) if parts else ""
    return text if CHARGER_ID.match(text) else None


def _detect(image: np.ndarray) -> str:
    detector = cv2.QRCodeDetector()
    text, _, _ = detector.detectAndDecode(image)
    if text:
        return str(text)
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    height, width = gray.shape[:2]
    if min(height, width) < MIN_SIDE:  # tiny or far-away codes read better enlarged
        scale = MIN_SIDE / min(height, width)
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    text, _, _ = detector.detectAndDecode(gray)
    return str(text or "")


def decode_qr(image_bytes: bytes) -> ScanResult:
    """Read the label in a photo (JPEG/PNG bytes); ``problem`` says why when it fails."""
    if not QR_AVAILABLE:
        return ScanResult(None, problem="This server cannot read QR photos. Type the id.")
    image = cv2.imdecode(np.frombuffer(image_bytes, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return ScanResult(None, problem="The photo could not be opened. Take it again.")
    text = _detect(image)
    if not text:
        return ScanResult(
            None,
            problem="No QR code found in the photo. Hold the tablet 20-30 cm from the label, "
            "keep it steady and lit, or type the id printed under the code.",
        )
    charger_id = charger_id_from_label(text)
    if charger_id is None:
        return ScanResult(
            None,
            text=text,
            problem=f"The QR code says {text[:80]!r}, which is not a charger id. "
            "Type the id printed on the label.",
        )
    return ScanResult(charger_id, text=text)
