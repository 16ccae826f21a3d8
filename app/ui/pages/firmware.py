"""Firmware and certificates: campaigns (admins start and stop them, consultants follow
them), one charger's firmware history (versions it booted, updates asked, states reported),
and the certificate expiry watch (the server's TLS certificate; a charger's, checked now)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.ui.common import api, auth, call
from app.ui.wording import plain


def campaigns(admin: bool) -> None:
    st.subheader("Campaigns")
    rows = call("load firmware campaigns", api().get, "/api/firmware/campaigns") or []
    if not rows:
        st.caption("No firmware campaigns yet.")
        return
    st.dataframe(
        [
            {
                "id": c["id"],
                "name": c["name"],
                "model": c["model"],
                "status": c["status"],
                "chargers": len(c["items"]),
                "failed": c["failures"],
                "sites at a time": c["max_sites"],
            }
            for c in rows
        ],
        hide_index=True,
    )
    by_id = {c["id"]: c for c in rows}
    chosen = st.selectbox(
        "Campaign", list(by_id), format_func=lambda i: f"{i}: {by_id[i]['name']}", key="fw_pick"
    )
    campaign = by_id[chosen]
    if campaign.get("stop_reason"):
        st.caption(f"Stopped: {plain(campaign['stop_reason'])}")
    st.dataframe(campaign["items"], hide_index=True)
    if admin and campaign["status"] == "running":
        reason = st.text_input("Why stop it", key="fw_stop_reason")
        if st.button("Stop campaign", key="fw_stop", disabled=not reason.strip()):
            body = {"reason": reason.strip()}
            path = f"/api/firmware/campaigns/{chosen}/stop"
            if call("stop the campaign", api().post, path, body) is not None:
                st.session_state["fw_flash"] = f"Campaign {chosen} stopped."
                st.rerun()


def new_campaign() -> None:
    with st.form("fw_new"):
        st.subheader("New campaign")
        name = st.text_input("Name", key="fw_name")
        model = st.text_input("Charger model (as it boots)", key="fw_model")
        from_version = st.text_input("Only chargers on firmware (optional)", key="fw_from")
        location = st.text_input("Firmware URL", key="fw_location")
        install = st.text_input("Install at (ISO 8601 with zone, optional)", key="fw_install")
        retries = st.number_input("Retries", 0, 10, 3, key="fw_retries")
        interval = st.number_input("Retry interval (s)", 0, 86_400, 60, key="fw_interval")
        sites = st.number_input("Sites at a time", 1, 100, 1, key="fw_sites")
        failures = st.number_input("Stop after failures", 1, 1000, 1, key="fw_failures")
        if not st.form_submit_button("Start campaign"):
            return
    update: dict[str, Any] = {
        "location": location.strip(),
        "retries": int(retries),
        "retry_interval": int(interval),
    }
    if install.strip():
        update["install_date"] = install.strip()
    body = {
        "name": name.strip(),
        "model": model.strip(),
        "from_version": from_version.strip() or None,
        "update": update,
        "max_sites": int(sites),
        "stop_after_failures": int(failures),
    }
    created = call("start the campaign", api().post, "/api/firmware/campaigns", body)
    if created is not None:
        st.session_state["fw_flash"] = f"Campaign {created['id']} started."
        st.rerun()


def history() -> None:
    st.subheader("A charger's firmware")
    charger_id = st.text_input("Charger id", key="fw_charger").strip()
    if not charger_id:
        return
    body = call("load the firmware history", api().get, f"/api/chargers/{charger_id}/firmware")
    if body is None:
        return
    st.markdown(
        plain(f"Now: {body['version'] or 'unknown'}, update state {body['status'] or 'none'}")
    )
    if body["failed"]:
        st.warning("The last update failed.")
    st.dataframe(body["versions"], hide_index=True)
    st.dataframe(body["history"], hide_index=True)


def certificates(admin: bool) -> None:
    st.subheader("Certificates")
    server = call("load the server certificate", api().get, "/api/certificates/server")
    if server is not None:
        _certificate_rows(server, "The server serves plain ws: no TLS certificate to watch.")
    charger_id = st.text_input("Check a charger's certificates", key="cert_charger").strip()
    if charger_id and st.button("Check now", key="cert_check"):
        path = f"/api/chargers/{charger_id}/certificates/check"
        body = call("check the charger's certificates", api().post, path)
        if body is not None:
            _certificate_rows(body, f"{charger_id} reports no installed certificates.")
    if admin and charger_id and st.button("Renew its certificate", key="cert_renew"):
        # A02: the charger makes a new key and sends its CSR; the operator CA signs it
        path = f"/api/chargers/{charger_id}/commands/trigger_message"
        body = call(
            "ask the charger for a new certificate",
            api().post,
            path,
            {"message": "SignChargingStationCertificate"},
        )
        if body is not None:
            st.info(
                f"{charger_id} answered {body['status']}: its new certificate is signed and "
                "sent when its request arrives (security events show the outcome)."
            )


def _certificate_rows(body: dict[str, Any], empty: str) -> None:
    rows = body["certificates"]
    if not rows:
        st.caption(empty)
        return
    for c in rows:
        if c["finding"]:
            st.warning(
                plain(f"{c['where']}: {c['subject'] or c['serial']} {c['severity']} "
                      f"({c['days_left']} days left)")
            )  # fmt: skip
    st.dataframe(rows, hide_index=True)


def main() -> None:
    who = auth()
    if who is None:
        st.stop()
    st.title("Firmware")
    flash = st.session_state.pop("fw_flash", None)
    if flash:
        st.success(flash)
    admin = who.get("role") == "admin"
    campaigns(admin)
    if admin:
        new_campaign()
    history()
    certificates(admin)


main()
