"""A person answering Airflow's human-in-the-loop forms while a DAG run waits for them.

It records the answer the way the API server's "Required actions" endpoint does (the HITL row,
then ``handle_event_submit`` to resume the parked task), from a thread beside ``dag.test()``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

#: (task instance's task_id, its HITL detail) -> (chosen options, params input)
Answer = Callable[[str, Any], tuple[list[str], dict[str, Any]]]


@dataclass
class Responder:
    answered: list[tuple[str, list[str], dict[str, Any]]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


@contextmanager
def human_answers(dag_id: str, answer: Answer, poll_seconds: float = 0.3) -> Iterator[Responder]:
    from airflow._shared.timezones import timezone
    from airflow.models.hitl import HITLDetail, HITLUser
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.trigger import handle_event_submit
    from airflow.triggers.base import TriggerEvent
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState

    responder = Responder()
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(poll_seconds):
            try:
                with create_session() as session:
                    waiting = (
                        session.query(TaskInstance)
                        .filter(TaskInstance.dag_id == dag_id, TaskInstance.state == TaskInstanceState.AWAITING_INPUT)
                        .all()
                    )
                    for ti in waiting:
                        detail = session.get(HITLDetail, ti.id)
                        if detail is None or detail.response_received:
                            continue
                        options, params = answer(ti.task_id, detail)
                        detail.responded_by = HITLUser(id="analyst", name="analyst")
                        detail.responded_at = timezone.utcnow()
                        detail.chosen_options = options
                        detail.params_input = params
                        session.add(detail)
                        handle_event_submit(
                            TriggerEvent(detail.as_resume_event_payload()), task_instance=ti, session=session
                        )
                        responder.answered.append((ti.task_id, options, params))
            except Exception as exc:  # reported to the test
                responder.errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield responder
    finally:
        stop.set()
        thread.join(timeout=10)
