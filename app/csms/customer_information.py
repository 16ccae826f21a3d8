"""A customer's data as a charging station reports it (OCPP 2.0.1 N09/N10).

The CSMS sends CustomerInformationRequest (requestId, report, clear, and one customer
reference: customerIdentifier string[0..64], idToken or customerCertificate); the station
answers Accepted, Rejected or Invalid and, when a report was asked, sends the data in
NotifyCustomerInformationRequest parts: data string[0..512], seqNo from 0, tbc true on every
part but the last, generatedAt, requestId. The parts are gathered with the inventory's
assembler and kept as one text per request. It is personal data: admins only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import CustomerInformationRow

DATA_CHARS = 512  # NotifyCustomerInformationRequest.data string[0..512]
MAX_PARTS = 200  # 100 kB of a customer's data per request


def read_part(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"data": str(data.get("data") or "")[:DATA_CHARS]}]


def stored(db: Session, charger_id: str, limit: int) -> list[CustomerInformationRow]:
    return list(
        db.scalars(
            select(CustomerInformationRow)
            .where(CustomerInformationRow.charger_id == charger_id)
            .order_by(CustomerInformationRow.id.desc())
            .limit(limit)
        )
    )
