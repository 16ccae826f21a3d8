"""QR labels: segno-made codes, read by app.ui.qr and by the partner's camera in the finder."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
import segno

from app.ui.qr import QR_AVAILABLE, charger_id_from_label, decode_qr
from tests.ui.conftest import UiStack
from tests.ui.helpers import app_as, texts

pytestmark = pytest.mark.skipif(not QR_AVAILABLE, reason="OpenCV not installed")


def label_png(text: str, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def photo_of(text: str | None, angle: float = 8.0) -> bytes:
    """A 'camera photo' (JPEG): grey background, the label small, turned and a little blurred."""
    rng = np.random.default_rng(7)
    scene = np.full((720, 960, 3), 150, np.uint8) + rng.integers(0, 25, (720, 960, 3), np.uint8)
    if text is not None:
        label = cv2.imdecode(np.frombuffer(label_png(text, scale=6), np.uint8), cv2.IMREAD_COLOR)
        h, w = label.shape[:2]
        turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        label = cv2.warpAffine(label, turn, (w, h), borderValue=(255, 255, 255))
        scene[200 : 200 + h, 300 : 300 + w] = label
    scene = cv2.GaussianBlur(scene, (3, 3), 0)
    ok, jpeg = cv2.imencode(".jpg", scene, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return jpeg.tobytes()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SITE-001-AC-01", "SITE-001-AC-01"),
        ("  SITE-001-AC-01\n", "SITE-001-AC-01"),
        ("https://fix.example.com/c/SITE-002-DC-03", "SITE-002-DC-03"),
        ("https://fix.example.com/c/SITE-002-DC-03/?src=label#x", "SITE-002-DC-03"),
        ("https://fix.example.com/", None),
        ("Hello, this is a poster", None),
    ],
)
def test_charger_id_from_label(text: str, expected: str | None) -> None:
    assert charger_id_from_label(text) == expected


def test_plain_id_label() -> None:
    result = decode_qr(label_png("SITE-001-AC-01"))
    assert (result.charger_id, result.problem) == ("SITE-001-AC-01", None)


def test_url_label_in_a_photo() -> None:
    result = decode_qr(photo_of("https://fix.example.com/chargers/SITE-003-AC-01"))
    assert result.charger_id == "SITE-003-AC-01"
    assert result.text == "https://fix.example.com/chargers/SITE-003-AC-01"


def test_photo_without_a_qr_code() -> None:
    result = decode_qr(photo_of(None))
    assert result.charger_id is None
    assert result.problem is not None and "No QR code found" in result.problem


def test_qr_code_that_is_not_a_charger_id() -> None:
    result = decode_qr(label_png("Hello, this is a poster"))
    assert result.charger_id is None and result.problem is not None
    assert "not a charger id" in result.problem


def test_not_an_image() -> None:
    result = decode_qr(b"definitely not a JPEG")
    assert result.problem is not None and "could not be opened" in result.problem


# ------------------------------------------------------------------ the finder (AppTest)
def scan(stack: UiStack, photo: bytes):  # type: ignore[no-untyped-def]
    at = app_as(stack, "pat")
    at.camera_input(key="ts_qr").set_value(("label.jpg", photo, "image/jpeg"))
    at.run()
    assert not at.exception, at.exception
    return at


def test_scanning_a_label_opens_the_charger(stack: UiStack) -> None:
    charger = stack.charger_ids[0]
    at = scan(stack, photo_of(f"https://fix.example.com/c/{charger}"))
    assert at.session_state["ts_charger"] == charger
    assert charger in [t.value for t in at.title]


def test_scanning_an_unknown_label_says_so_and_keeps_the_finder(stack: UiStack) -> None:
    at = scan(stack, photo_of("SITE-999-AC-99"))
    assert "ts_charger" not in at.session_state
    assert "no such charger is registered" in texts(at)
    assert "Find the charger" in texts(at)


def test_photo_without_code_asks_to_retry_or_type(stack: UiStack) -> None:
    at = scan(stack, photo_of(None))
    assert "ts_charger" not in at.session_state
    assert "No QR code found" in texts(at) and "type the id" in texts(at)
    at.text_input(key="ts_find").input(stack.charger_ids[1]).run()  # typed fallback
    assert stack.charger_ids[1] in texts(at)
