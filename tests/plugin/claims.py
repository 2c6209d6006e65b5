"""The chapter's claims: a test lists each claim it checks, and the report shows them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from report import interface


@pytest.fixture
def chapter_claim_record(request: pytest.FixtureRequest) -> Callable[..., None]:
    """claim(id, text, outcome=None): list a chapter claim this test checks."""

    def claim(claim_id: str, claim_text: str, outcome: str | None = None) -> None:
        interface.record_claim(request.node, claim_id, claim_text, outcome)

    return claim
