"""Storage: SQLAlchemy models and the Alembic migrations that create them."""

from app.db import (
    models,  # noqa: F401  (registers the core tables on Base.metadata)
    models_diagnosis,  # noqa: F401  (diagnoses, remediation actions)
    models_sessions,  # noqa: F401  (procedures, sessions, handoffs)
)
from app.db.base import Base

__all__ = ["Base"]
