"""QR label decoding from a camera photo, when a decoder is installed (OpenCV); else off."""

from __future__ import annotations

try:  # optional: not a dependency of ChargeFix
    import cv2  # type: ignore[import-not-found]
    import numpy as np

    QR_AVAILABLE = True
except ImportError:  # the finder then asks for the typed id
    QR_AVAILABLE = False


def decode_qr(image_bytes: bytes) -> str | None:
    """The charger id in a QR photo (the text, or the last path part of a URL), or None."""
    if not QR_AVAILABLE:
        return None
    image = cv2.imdecode(np.frombuffer(image_bytes, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return None
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(image)
    if not text:
        return None
    return text.rstrip("/").rsplit("/", 1)[-1].strip() or None
