"""Vendor fault-code tables as knowledge editors keep them: versions in the database (draft,
published, retired) on top of the shipped files of ``knowledge_base/fault_codes``."""
