"""Organisations (省厅 → 市局 → 分局), users and roles."""
