"""Clear detection: a person's clear is told apart from Airflow's automatic retry."""

from __future__ import annotations

import pytest

from irp.resubmission import is_cleared
from tests.unit.conftest import TaskInstance


@pytest.mark.parametrize(
    ("try_number", "max_tries", "retries", "cleared"),
    [
        (1, 2, 2, False),  # a first try
        (2, 2, 2, False),  # the first automatic retry
        (3, 2, 2, False),  # the last automatic retry
        (2, 3, 2, True),  # cleared after try 1 failed: max_tries = 1 + retries, then try 2
        (4, 5, 2, True),  # cleared after every retry was used
        (5, 5, 2, False),  # a retry after that clear
        (1, 0, 0, False),  # no retries: a first try
        (2, 1, 0, True),  # no retries: any later try is a clear
    ],
)
def test_a_clear_keeps_every_retry_an_automatic_retry_has_used_some(try_number, max_tries, retries, cleared):
    assert is_cleared(TaskInstance(try_number=try_number, max_tries=max_tries), retries) is cleared
