from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.fleet.model import ChargerLiveState, ConnectorState, OpenFault
from app.retrieval.adapter import KnowledgeRetriever
from app.retrieval.models import SearchRequest
from app.retrieval.query import build_query, request_from_live_state
from app.retrieval.service import IndexNotFoundError, Retriever
from ingestion.pipeline import ingest


@pytest.fixture
def retriever(kb: Path, index_dir: Path, embedder) -> Retriever:
    summary = ingest(kb, index_dir, embedder=embedder)
    assert summary.issues == []
    return Retriever(index_dir, embedder=embedder)


def test_ticket_found_by_its_vendor_error_code(retriever: Retriever) -> None:
    results = retriever.search(SearchRequest(text="NW-0x11"))
    ticket = results.tickets[0]
    assert ticket.id == "T-1003"
    assert "NW-0x11" in ticket.matched_codes
    assert ticket.resolution == "Dried housing and replaced gasket"
    assert ticket.outcome == "resolved_onsite"


def test_vendor_code_also_finds_the_procedure_and_the_manual_section(retriever: Retriever) -> None:
    results = retriever.search(SearchRequest(text="display shows E-101"))
    assert results.procedures[0].id == "PROC-GROUND-FAULT"
    assert results.manuals[0].id == "manuals/wb22.md#Ground fault (E-101)"
    assert results.tickets[0].id == "T-1001"
    assert results.query.codes == ["E-101", "GroundFailure"]


def test_plain_words_find_a_code_only_procedure(retriever: Retriever) -> None:
    # "earth leakage" appears nowhere in the texts: the normaliser maps it to GroundFailure
    results = retriever.search(SearchRequest(text="earth leakage"))
    assert results.procedures[0].id == "PROC-GROUND-FAULT"
    assert "ground_fault" in results.procedures[0].matched_codes


def test_groups_fields_and_order(retriever: Retriever) -> None:
    results = retriever.search(SearchRequest(text="cable stuck in socket", k=2))
    assert results.procedures[0].id == "PROC-CABLE-STUCK"
    assert len(results.procedures) <= 2 and len(results.manuals) <= 2
    data = results.to_json_dict()
    assert list(data)[:4] == ["query", "procedures", "manuals", "tickets"]
    hit = data["procedures"][0]
    for field in (
        "kind",
        "id",
        "title",
        "source",
        "section",
        "page",
        "score",
        "matched_terms",
        "matched_codes",
        "snippet",
    ):
        assert field in hit
    assert hit["kind"] == "procedure" and hit["source"] == "procedures/cable_stuck.yaml"
    pdf = retriever.search(SearchRequest(text="insulation IMD CCS2 cable cuts")).manuals[0]
    assert pdf.source == "manuals/hx150.pdf" and pdf.page == 2
    assert pdf.citation == "hx150.pdf, p. 2"  # a flat PDF (no headings): the page only


def test_manual_hits_cite_section_path_and_page(kb: Path, index_dir: Path, embedder) -> None:
    # A structured PDF: the hit names the section by its heading path and the page it is on.
    from tests.ingestion.test_pdf_structure import _make

    _make(kb / "extra")
    (kb / "extra" / "manuals" / "tw9.pdf").rename(kb / "manuals" / "tw9.pdf")
    (kb / "extra" / "manuals" / "tw9.meta.yaml").rename(kb / "manuals" / "tw9.meta.yaml")
    assert ingest(kb, index_dir, embedder=embedder).issues == []
    retriever = Retriever(index_dir, embedder=embedder)
    results = retriever.search(SearchRequest(text="C-40 top up TW-Cool", vendor="Tarnwell"))
    hit = results.manuals[0]
    assert hit.id == "manuals/tw9.pdf#C-40 Coolant level low"
    assert hit.section_path == "1 Error codes > C-40 Coolant level low" and hit.page
    assert hit.citation == f"tw9.pdf, 1 Error codes > C-40 Coolant level low, p. {hit.page}"
    assert "Tarnwell |" not in hit.snippet and "Page " not in hit.snippet
    md = retriever.search(SearchRequest(text="RDC-DD module trips")).manuals[0]
    assert md.section_path == "Ground fault (E-101)" and md.page is None
    assert md.citation == "wb22.md, Ground fault (E-101)"


def test_kind_filter(retriever: Retriever) -> None:
    results = retriever.search(SearchRequest(text="ground fault", kinds=["ticket"]))
    assert results.tickets and not results.procedures and not results.manuals


def test_charger_vendor_boost_and_codes_from_state(retriever: Retriever) -> None:
    # same words, different charger: the charger's own vendor comes first
    northwind = retriever.search(
        SearchRequest(
            text="socket tripped",
            vendor="Northwind Charging",
            model="Duo AC Post",
            error_code="GroundFailure",
            vendor_error_code="NW-0x11",
        )
    )
    assert northwind.tickets[0].id == "T-1003"
    voltara = retriever.search(
        SearchRequest(
            text="socket tripped",
            vendor="Voltara",
            model="WB-22",
            error_code="GroundFailure",
            vendor_error_code="E-101",
        )
    )
    assert voltara.tickets[0].id == "T-1001"


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_each_mode_answers(retriever: Retriever, mode: str) -> None:
    results = retriever.search(SearchRequest(text="coolant pump fuse"), mode=mode)
    assert results.manuals[0].source == "manuals/kx300-bulletin.html"


def test_query_from_live_state() -> None:
    now = datetime.now(UTC)
    live = ChargerLiveState(
        charger_id="SITE-001-AC-01",
        vendor="Voltara",
        model="WB-22",
        firmware_version="VT-WB 3.4.2",
        ocpp_version="1.6",
        online=True,
        connectors={
            0: ConnectorState(connector_id=0, status="Available"),
            1: ConnectorState(
                connector_id=1,
                status="Faulted",
                error_code="GroundFailure",
                vendor_error_code="E-101",
                info="RDC-DD trip",
            ),
        },
        open_faults=[
            OpenFault(
                connector_id=1,
                source="StatusNotification",
                error_code="GroundFailure",
                vendor_error_code="E-101",
                raised_at=now,
            )
        ],
    )
    req = request_from_live_state(live, "red light")
    assert (req.vendor, req.model, req.firmware, req.status) == (
        "Voltara",
        "WB-22",
        "VT-WB 3.4.2",
        "Faulted",
    )
    assert (req.error_code, req.vendor_error_code, req.info) == (
        "GroundFailure",
        "E-101",
        "RDC-DD trip",
    )
    query = build_query(req)
    assert {"groundfailure", "e-101", "red", "light", "fault"} <= set(query.tokens)
    assert "Voltara WB-22" in query.dense_text


def test_langchain_retriever_interface(retriever: Retriever) -> None:
    lc = KnowledgeRetriever(retriever=retriever, charger={"vendor": "Voltara"}, k=1)
    docs = lc.invoke("E-101")
    assert [d.metadata["kind"] for d in docs] == ["procedure", "manual", "ticket"]
    assert docs[0].metadata["id"] == "PROC-GROUND-FAULT"


def test_no_index_is_a_clear_error(tmp_path: Path, embedder) -> None:
    with pytest.raises(IndexNotFoundError, match="chargefix ingest"):
        Retriever(tmp_path / "nothing", embedder=embedder).search(SearchRequest(text="x"))


def test_misspelt_words_are_corrected_against_the_index(retriever: Retriever) -> None:
    results = retriever.search(
        SearchRequest(text="colant pump fusse", kinds=["manual"]), mode="bm25"
    )
    assert results.manuals[0].source == "manuals/kx300-bulletin.html"
    assert {"coolant", "fuse"} <= set(results.query.keywords)
    assert "coolant" in results.manuals[0].matched_terms


def test_a_manual_in_two_formats_shows_each_section_once(
    kb: Path, index_dir: Path, embedder
) -> None:
    from tests.ingestion.kb import MANUAL_MD
    from tests.ingestion.test_pdf_structure import render_pdf

    markdown = MANUAL_MD.replace("---\n#", "revision: '1'\n---\n#")
    (kb / "manuals" / "wb22.pdf").write_bytes(render_pdf(markdown))
    (kb / "manuals" / "wb22.meta.yaml").write_text(
        "title: Voltara WB-22 service manual\nvendor: Voltara\nmodel: WB-22\n"
    )
    assert ingest(kb, index_dir, embedder=embedder).issues == []
    retriever = Retriever(index_dir, embedder=embedder)
    assert {c.source for c in retriever._current().chunks} >= {
        "manuals/wb22.md",
        "manuals/wb22.pdf",
    }
    manuals = retriever.search(SearchRequest(text="RDC-DD trips DC leakage")).manuals
    sections = [(h.title, h.section_path) for h in manuals if h.section_path]
    assert sections[0] == ("Voltara WB-22 service manual", "Ground fault (E-101)")
    assert len(sections) == len(set(sections)), sections
