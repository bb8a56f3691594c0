"""The deployment tier: every test runs against a real Airflow deployment (see deployment.py), once
with LocalExecutor and once with CeleryExecutor, with the Moody's simulator, a store schema of its
own, the demo source warehouse and a recording Teams webhook.

Run it with ``pytest -m deployment``; ``pytest -m "not deployment"`` is the quick inner loop.
On failure the components' logs are copied under pytest's temporary folder and their tails printed.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.deployment.deployment import Deployment, Executor, Services
from tests.deployment.environment import SAMPLE_WORKBOOK, cycle_deployment
from tests.deployment.scenario import CYCLES, MINIMAL_WORKBOOK
from tools import make_sample_workbook


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tier; drop Celery-only scenarios' LocalExecutor variants before a deployment is
    started for them."""
    kept, dropped = [], []
    for item in items:
        if "tests/deployment/" in str(item.path):
            item.add_marker(pytest.mark.deployment)
            callspec = getattr(item, "callspec", None)
            if (
                item.get_closest_marker("celery_only")
                and callspec
                and callspec.params["deployment"] is not Executor.CELERY
            ):
                dropped.append(item)
                continue
        kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_FAILED] = True
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture(scope="module", params=[Executor.LOCAL, Executor.CELERY], ids=["local", "celery"])
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Deployment, Services]]:
    executor: Executor = request.param
    home = tmp_path_factory.mktemp(f"airflow_{executor.name.lower()}")
    minimal = make_sample_workbook.write_sample(home / MINIMAL_WORKBOOK, minimal=True)
    workbooks = {"sample": SAMPLE_WORKBOOK, "minimal": minimal}
    cycles = {name: (workbooks[workbook], on_existing) for name, (workbook, on_existing) in CYCLES.items()}
    with cycle_deployment(home, executor, cycles) as running:
        yield running


@pytest.fixture
def keep_logs(
    request: pytest.FixtureRequest, deployment: tuple[Deployment, Services], tmp_path: Path
) -> Iterator[None]:
    """On failure: copy every component's log beside the test and print their tails."""
    running, _ = deployment
    sizes = {role: (path.stat().st_size if path.exists() else 0) for role, path in running.logs().items()}
    yield
    if not request.node.stash.get(_FAILED, False):
        return
    kept = tmp_path / "deployment-logs"
    kept.mkdir(exist_ok=True)
    for role, path in running.logs().items():
        if path.exists():
            shutil.copyfile(path, kept / path.name)
            tail = path.read_bytes()[sizes[role] :][-3000:].decode(errors="replace")
            print(f"\n===== {role} (this test's part, tail) =====\n{tail}")
    if running.notes:
        print("\n".join(["===== actions", *running.notes]))
    print(f"\nlogs kept in {kept} (task logs under {running.home / 'logs'})")
