"""Who may see and do what on the dashboard: Airflow's auth manager decides, as on Airflow's pages.

A cycle's batches and jobs are its DAG's data: seeing them needs read access to the cycle's DAG
(``is_authorized_dag`` with ``GET``), the check Airflow's own DAG routes make (the edge3
provider's UI routes guard theirs the same way, through the auth manager). Repairs are runs of
the ``irp_repair`` DAG: their links and pages need permission to trigger it (a DAG run ``POST``),
which Airflow checks again when the run is created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import Depends, HTTPException, status

from irp.cycles import DAG_ID_PREFIX
from irp.repair_request import REPAIR_DAG_ID

if TYPE_CHECKING:
    from airflow.api_fastapi.auth.managers.models.base_user import BaseUser


class AccessDenied(HTTPException):
    """The user is signed in but not allowed: a 403 page, never a detour through the login."""

    def __init__(self, detail: str) -> None:
        super().__init__(status.HTTP_403_FORBIDDEN, detail)


def cycle_dag_id(cycle_name: str) -> str:
    return DAG_ID_PREFIX + cycle_name


@dataclass
class Access:
    """The signed-in user's rights, asked of the auth manager once per request and DAG."""

    user: BaseUser
    _answers: dict[tuple[str, str], bool] = field(default_factory=dict)

    def _allowed(self, dag_id: str, method: str) -> bool:
        key = (dag_id, method)
        if key not in self._answers:
            from airflow.api_fastapi.app import get_auth_manager
            from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails
            from airflow.models.dag import DagModel

            details = DagDetails(id=dag_id, team_name=DagModel.get_team_name(dag_id))
            entity = None if method == "GET" else DagAccessEntity.RUN
            self._answers[key] = get_auth_manager().is_authorized_dag(
                method=method,  # type: ignore[arg-type]
                access_entity=entity,
                details=details,
                user=self.user,
            )
        return self._answers[key]

    def can_read_cycle(self, cycle_name: str) -> bool:
        return self._allowed(cycle_dag_id(cycle_name), "GET")

    def require_cycle(self, cycle_name: str) -> None:
        if not self.can_read_cycle(cycle_name):
            raise AccessDenied(f"You may not read the DAG {cycle_dag_id(cycle_name)}, so not cycle {cycle_name!r}")

    @property
    def can_repair(self) -> bool:
        """May trigger the repair DAG (a DAG run POST on ``irp_repair``)."""
        return self._allowed(REPAIR_DAG_ID, "POST")

    def require_repair(self) -> None:
        if not self.can_repair:
            raise AccessDenied(f"You may not trigger the DAG {REPAIR_DAG_ID}, so not repair cycles")


def get_access(user: GetUserDep) -> Access:
    return Access(user)


AccessDep = Annotated[Access, Depends(get_access)]
