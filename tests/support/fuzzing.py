"""The Hypothesis settings every fuzz suite shares: reproducible in CI (derandomized, a fixed
number of examples), exploring with fresh randomness when SHUANGSUIJI_FUZZ_EXPLORE=1."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXPLORE = os.environ.get("SHUANGSUIJI_FUZZ_EXPLORE") == "1"


def fuzz_settings(examples_variable: str, default: int) -> settings:
    return settings(
        max_examples=int(os.environ.get(examples_variable, str(default))),
        deadline=None,
        derandomize=not EXPLORE,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
