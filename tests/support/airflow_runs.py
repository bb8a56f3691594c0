"""Drive real Airflow DAG runs in-process: ``dag.test()`` for a run, and the clear the UI does.

``clear_and_resume`` clears chosen task instances with Airflow's own ``clear_task_instances``
(what the UI's "Clear" calls) and runs the DAG run on, with the loop ``dag.test()`` uses.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

#: Scheduling passes with nothing to run (0.2 s each) before a resumed run counts as stuck.
MAX_IDLE_LOOPS = 150


def task_states(dag_run: Any) -> dict[tuple[str, int], str | None]:
    from airflow.utils.session import create_session

    with create_session() as session:
        return {
            (ti.task_id, ti.map_index): getattr(ti.state, "value", ti.state)
            for ti in dag_run.get_task_instances(session=session)
        }


def rendered_names(dag_run: Any, task_id: str) -> list[str]:
    from airflow.utils.session import create_session

    with create_session() as session:
        return sorted(
            ti.rendered_map_index
            for ti in dag_run.get_task_instances(session=session)
            if ti.task_id == task_id and ti.rendered_map_index is not None
        )


def failed_with_downstream(dag: Any, dag_run: Any) -> Callable[[Any], bool]:
    """Selects the failed task instances and everything downstream of them: what a person clears
    with the UI's "Clear" (downstream included) on each failed task. After a failed batch the later
    groups end upstream_failed *or skipped*, so selecting by state alone would miss the skipped."""
    from airflow.utils.session import create_session

    with create_session() as session:
        failed = {ti.task_id for ti in dag_run.get_task_instances(session=session) if ti.state == "failed"}
    downstream = {tid for task_id in failed for tid in dag.get_task(task_id).get_flat_relative_ids(upstream=False)}
    return lambda ti: ti.state == "failed" or ti.task_id in downstream


def clear_and_resume(
    dag: Any,
    dag_run: Any,
    select: Callable[[Any], bool],
    *,
    hold: Callable[[Any], bool] | None = None,
    stuck: Callable[[Any, dict[tuple[str, int], Any]], None] | None = None,
) -> Any:
    """Clear the task instances ``select`` picks (as a person does in the UI), then run on like
    ``dag.test()``. The tasks ``hold`` picks stay deferred (no inline trigger); when nothing else can
    run, ``stuck(run, held)`` acts once as a person would on them (their DeferTask messages)."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import clear_task_instances
    from airflow.sdk.definitions.dag import _run_task
    from airflow.serialization.serialized_objects import DagSerialization
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState, TaskInstanceState

    held_back = hold or (lambda ti: False)
    scheduler_dag = DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag))
    held: dict[tuple[str, int], Any] = {}
    acted = False
    idle = 0
    with create_session() as session:
        run = session.get(DagRun, dag_run.id)
        tis = [ti for ti in run.get_task_instances(session=session) if select(ti)]
        assert tis, "nothing selected to clear"
        clear_task_instances(tis, session, dag_run_state=DagRunState.RUNNING)
        session.commit()
        run = session.get(DagRun, dag_run.id)
        run.dag = scheduler_dag
        while run.state == DagRunState.RUNNING:
            session.expire_all()
            schedulable, _ = run.update_state(session=session)
            for ti in schedulable:
                if ti.state != TaskInstanceState.UP_FOR_RESCHEDULE:
                    ti.try_number += 1
                ti.state = TaskInstanceState.SCHEDULED
            session.commit()
            scheduled = [t for t in run.get_task_instances(session=session) if t.state == TaskInstanceState.SCHEDULED]
            for ti in scheduled:
                with contextlib.suppress(Exception):  # recorded on the task instance, as in dag.test()
                    result = _run_task(ti=ti, task=dag.task_dict[ti.task_id], run_triggerer=not held_back(ti))
                    if held_back(ti) and ti.state == TaskInstanceState.DEFERRED:
                        held[(ti.task_id, ti.map_index)] = result.msg
            if scheduled:
                idle = 0
            elif held and stuck is not None and not acted:
                acted = True
                session.commit()  # the person's session writes next (SQLite)
                stuck(run, held)
            else:  # states propagate, or a retry delay runs: wait, as dag.test() does
                idle += 1
                assert idle < MAX_IDLE_LOOPS, "the run is stuck"
                time.sleep(0.2)
            session.expire_all()
            run = session.get(DagRun, dag_run.id)
            run.dag = scheduler_dag
        return run
