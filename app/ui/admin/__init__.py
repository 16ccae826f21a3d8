"""The admin page's tabs for what was CLI only (app/ui/pages/admin.py draws them)."""
