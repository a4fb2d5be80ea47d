"""Inspections: created by draws, coverage and targeted cases; results come later."""
