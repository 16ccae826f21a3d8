"""langchain ``BaseRetriever`` over :class:`~app.retrieval.service.Retriever`.

Documents come back in the UI's order (procedures, manual passages, tickets); each carries
the hit's fields as metadata.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from app.retrieval.models import SearchRequest
from app.retrieval.service import Retriever


class KnowledgeRetriever(BaseRetriever):
    """``KnowledgeRetriever(retriever=..., charger={"vendor": ..., "error_code": ...})``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Retriever
    charger: dict[str, Any] = {}  # SearchRequest fields: vendor, model, error_code, ...
    k: int = 5

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        request = SearchRequest(text=query, k=self.k, **self.charger)
        results = self.retriever.search(request)
        return [
            Document(
                page_content=hit.snippet,
                metadata=hit.model_dump(exclude={"snippet"}),
                id=f"{hit.kind}:{hit.id}",
            )
            for hit in results.all_hits()
        ]
