"""Which pages each role sees (a partner never sees the editor)."""

from __future__ import annotations

# page file, title, icon, roles that see it (admin sees everything)
PAGE_TABLE: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("desk.py", "Desk", ":material/support_agent:", ("consultant",)),
    ("troubleshoot.py", "Troubleshoot", ":material/build:", ("partner", "consultant")),
    ("session_log.py", "Session log", ":material/history:", ("consultant",)),
    ("fleet.py", "Fleet", ":material/ev_station:", ("consultant",)),
    ("firmware.py", "Firmware", ":material/system_update:", ("consultant",)),
    ("procedures.py", "Procedures", ":material/account_tree:", ("editor",)),
    ("knowledge.py", "Manuals & tickets", ":material/upload_file:", ("editor",)),
    ("fault_tables.py", "Fault codes", ":material/table_chart:", ("editor",)),
    ("search.py", "Search", ":material/search:", ("editor", "consultant")),
    ("admin.py", "Admin", ":material/admin_panel_settings:", ()),
]


def pages_for(role: str) -> list[tuple[str, str, str]]:
    """The (file, title, icon) of every page this role may open, in menu order. An admin sees
    every page: at 1024 px the last ones fold into the menu's overflow, so the Admin page,
    theirs, comes first (it was out of sight behind the overflow)."""
    pages = [
        (file, title, icon)
        for file, title, icon, roles in PAGE_TABLE
        if role == "admin" or role in roles
    ]
    if role == "admin":
        pages.sort(key=lambda page: page[1] != "Admin")
    return pages
