"""Example budgets for property tests whose examples are expensive.

A test that sets its own ``max_examples`` overrides the loaded hypothesis
profile, so the thorough profile would not reach it.  ``examples(n)`` is
``n`` under the CI profile and scales with the loaded profile's
``max_examples`` otherwise (20 n under ``thorough``: 500 against CI's 25).
"""

from hypothesis import settings

_CI_EXAMPLES = 25


def examples(n: int) -> int:
    """``n`` examples under the CI profile, ``n`` times the loaded profile's budget over CI's otherwise."""
    return max(1, n * settings.default.max_examples // _CI_EXAMPLES)
