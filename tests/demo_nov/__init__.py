"""The tests that read the demo as built on 2026-11-22: one build for the whole package."""
