"""Storage: SQLAlchemy models and the Alembic migrations that create them."""

from app.db import models  # noqa: F401  (registers the core tables on Base.metadata)
from app.db import models_sessions  # noqa: F401  (procedures, sessions, handoffs)
from app.db import models_diagnosis  # noqa: F401  (diagnoses, remediation actions)
from app.db.base import Base

__all__ = ["Base"]
