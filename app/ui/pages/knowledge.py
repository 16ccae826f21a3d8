"""Editor: upload manuals and ticket exports, see what was indexed or skipped, re-index."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import streamlit as st

from app.ui.common import api, auth, call
from app.ui.wording import plain

MAPPING_HELP = """columns:
  Case Number: ticket_id
  Opened: created_at
  Asset: charger_id
  Fault Code: error_code
  Problem Description: symptom
  Action Taken: resolution
  Status: outcome
"""


def uploads() -> None:
    st.subheader("Add files")
    kind = st.segmented_control(
        "What",
        ["manual", "ticket"],
        default="manual",
        key="kb_kind",
        format_func=lambda k: (
            "Manuals (PDF, Markdown, HTML, text)" if k == "manual" else "Tickets (CSV, JSON)"
        ),
    )
    types = ["pdf", "md", "markdown", "html", "htm", "txt"] if kind == "manual" else ["csv", "json"]
    # a new box after each upload: the files added are not offered for adding again
    batch = st.session_state.get("kb_batch", 0)
    files = st.file_uploader(
        "Files", type=types, accept_multiple_files=True, key=f"kb_files_{kind}_{batch}"
    )
    mapping = None
    if kind == "ticket":
        mapping = st.text_area(
            "Column mapping (YAML; leave empty for the plain ticket format)",
            key="kb_mapping",
            height=160,
            placeholder=MAPPING_HELP,
        )
    # not "Upload": the file box's own button is named that; this one stores and indexes
    if st.button(
        "Add and index",
        type="primary",
        key="kb_upload",
        icon=":material/upload_file:",
        disabled=not files,
    ):
        result = call(
            "upload",
            api().request,
            "POST",
            "/api/knowledge/uploads",
            files=[
                ("files", (f.name, f.getvalue(), f.type or "application/octet-stream"))
                for f in files or []
            ],
            data={"kind": kind, **({"mapping": mapping} if mapping else {})},
            timeout=120.0,
        )
        if result:
            for item in result["rejected"]:
                st.error(f"Not stored: {plain(item['file'])}: {plain(item['reason'])}")
            if result["stored"]:
                st.session_state["kb_flash"] = stored_message(result)
                st.session_state["kb_batch"] = batch + 1
                st.rerun()


def stored_message(result: dict[str, Any]) -> str:
    """What became of the stored files: the server indexes them by itself (now, or right
    after the run that is going), so a reload of this page loses nothing."""
    names = ", ".join(plain(p) for p in result["stored"])
    job = result.get("indexing") or {}
    if any(p in (job.get("queued") or []) for p in result["stored"]):
        return f"Stored {names}; indexed right after the run that is going."
    return f"Stored {names}; indexing them now."


def reindex() -> None:
    st.subheader("Index")
    job = call("read the indexing job", api().get, "/api/knowledge/reindex") or {}
    running = job.get("state") == "running"
    c1, c2 = st.columns(2)
    rebuild = c2.toggle("Rebuild everything", key="kb_rebuild")
    clicked = c1.button("Re-index now", type="primary", key="kb_reindex", disabled=running)
    if clicked and call(
        "start re-indexing", api().post, "/api/knowledge/reindex", {"rebuild": rebuild}
    ):
        st.rerun()
    if running:
        job_progress()
    elif job.get("state") == "done":
        summary = job.get("summary") or {}
        st.success(
            f"Indexed: {summary.get('files_added', 0)} added, {summary.get('files_changed', 0)} "
            f"changed, {summary.get('files_removed', 0)} removed, "
            f"{summary.get('files_skipped', 0)} skipped; {summary.get('chunks_total', 0)} "
            f"passages in {summary.get('seconds', 0):.1f} s."
        )
    elif job.get("state") == "failed":
        st.error(f"Indexing failed: {plain(job.get('error'))}. Fix the file named, then re-index.")


@st.fragment(run_every=1)
def job_progress() -> None:
    job = call("read the indexing job", api().get, "/api/knowledge/reindex") or {}
    if job.get("state") != "running":
        st.rerun(scope="app")
    files, chunks = job.get("files_total") or 0, job.get("chunks_total") or 0
    if chunks:
        done = job.get("chunks_done", 0) / chunks
        text = f"Embedding passages {job.get('chunks_done', 0)}/{chunks}"
    else:
        done = (job.get("files_done", 0) / files) if files else 0.0
        text = f"Reading files {job.get('files_done', 0)}/{files} {job.get('current_file') or ''}"
    elapsed = time.time() - (job.get("started_at") or time.time())
    st.progress(min(max(done, 0.01), 1.0), text=f"{text} · {elapsed:.0f} s")
    if job.get("sources"):
        st.caption("Indexing " + ", ".join(plain(p) for p in job["sources"]))
    if job.get("queued"):
        st.caption("Next, right after: " + ", ".join(plain(p) for p in job["queued"]))


def indexed() -> None:
    st.subheader("What is indexed")
    data = call("list indexed files", api().get, "/api/knowledge/files") or {}
    files = data.get("files") or []
    if not files:
        st.info("Nothing indexed yet. Add files above, or press Re-index now.")
        return
    st.caption(
        f"Generation {data.get('generation')} · {data.get('chunk_count')} passages · "
        f"updated {data.get('updated_at')}"
    )
    frame = pd.DataFrame(
        [
            {
                "file": f["source"],
                "kind": f["kind"],
                "passages": f["chunks"],
                "skipped": len(f["issues"]),
                "why skipped": "; ".join(f["issues"][:3]),
            }
            for f in files
        ]
    )
    only_skipped = st.toggle("Only files with skipped parts", key="kb_only_skipped")
    if only_skipped:
        frame = frame[frame["skipped"] > 0]
    st.dataframe(frame, hide_index=True)


def main() -> None:
    if auth() is None:
        st.stop()
    st.title("Manuals & tickets")
    flash = st.session_state.pop("kb_flash", None)
    if flash:
        st.success(flash)
    uploads()
    st.divider()
    reindex()
    st.divider()
    indexed()


main()
