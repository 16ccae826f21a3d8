"""pandas frames for the consultant pages (plain functions over API JSON, tested alone)."""

from __future__ import annotations

from typing import Any

import pandas as pd


def sessions_frame(rows: list[dict[str, Any]], chargers: list[dict[str, Any]]) -> pd.DataFrame:
    """Sessions joined with the charger's vendor/model (plain function, tested)."""
    models = {c["charger_id"]: (c.get("vendor") or "", c.get("model") or "") for c in chargers}
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(
            columns=["id", "created_at", "charger_id", "model", "procedure_id", "outcome"]
        )
    frame["vendor"] = frame["charger_id"].map(lambda c: models.get(c, ("", ""))[0])
    frame["model"] = frame["charger_id"].map(lambda c: models.get(c, ("", ""))[1])
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    frame["outcome"] = frame["outcome"].fillna("")
    frame["procedure_id"] = frame["procedure_id"].fillna("")
    return frame


def apply_filters(frame: pd.DataFrame, filters: dict[str, Any]) -> pd.DataFrame:
    out = frame
    for column in ("charger_id", "model", "procedure_id", "outcome", "partner", "status"):
        wanted = filters.get(column)
        if wanted:
            out = out[out[column].isin(wanted)]
    start, end = filters.get("from"), filters.get("to")
    if start:
        out = out[out["created_at"].dt.date >= start]
    if end:
        out = out[out["created_at"].dt.date <= end]
    return out


def fleet_frame(chargers: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per charger: site, model, online, worst connector status, open fault codes."""
    rows = []
    for live in chargers:
        statuses = [c.get("status") for c in (live.get("connectors") or {}).values()]
        worst = next(
            (s for s in ("Faulted", "Unavailable", "Charging", "Preparing") if s in statuses),
            "Available" if statuses else "Unknown",
        )
        faults = live.get("open_faults") or []
        rows.append(
            {
                "charger_id": live["charger_id"],
                "site": live.get("site_id") or "",
                "model": f"{live.get('vendor') or ''} {live.get('model') or ''}".strip(),
                "online": bool(live.get("online")),
                "status": worst if live.get("online") else "Offline",
                "faults": ", ".join(sorted({f.get("error_code", "") for f in faults})),
                "open_faults": len(faults),
                "last_seen": live.get("last_seen"),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "charger_id",
            "site",
            "model",
            "online",
            "status",
            "faults",
            "open_faults",
            "last_seen",
        ],
    )


def faults_over_time(faults: list[dict[str, Any]], freq: str = "h") -> pd.DataFrame:
    """Faults raised per period and error code (a wide frame for st.bar_chart)."""
    if not faults:
        return pd.DataFrame()
    frame = pd.DataFrame(faults)
    frame["raised_at"] = pd.to_datetime(frame["raised_at"], utc=True).dt.floor(freq)
    return frame.pivot_table(
        index="raised_at", columns="error_code", values="connector_id", aggfunc="count"
    ).fillna(0)


REMOTE = {"resolved", "not_reproducible", "vehicle_side"}


def resolutions_by_day(sessions: list[dict[str, Any]]) -> pd.DataFrame:
    """Finished sessions per day: solved remotely versus site visits (and other outcomes)."""
    done = [s for s in sessions if s.get("outcome")]
    if not done:
        return pd.DataFrame()
    frame = pd.DataFrame(done)
    frame["day"] = pd.to_datetime(frame["created_at"], utc=True).dt.date
    frame["kind"] = frame["outcome"].map(
        lambda o: "remote" if o in REMOTE else ("site visit" if o == "site_visit" else "other")
    )
    return frame.pivot_table(index="day", columns="kind", values="id", aggfunc="count").fillna(0)
