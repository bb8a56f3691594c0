"""What a registry entry declares about one batch type.

Facts the DAG needs at parse time (synchronous, seeded, may entities exist, which asset) are plain
values. Behaviour lives in the modules that implement it (job generation in ``irp.configuration``,
submission and validation in ``irp.moodys``, the SQL runners) and is named by a :class:`Ref`, which
imports its module on first use: parsing a cycle file must not import the Moody's client.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from irp.configuration.jobs import RowSource
from irp.constants import BatchType
from irp.moodys.paths import ApiPath

if TYPE_CHECKING:
    from irp.configuration.specs import JobSpec

T = TypeVar("T", bound=Callable[..., Any])

#: A job configuration as stored (JSON object).
JobData = Mapping[str, Any]


@dataclass(frozen=True)
class Ref(Generic[T]):
    """A function of a module, imported when first used.

    ``name`` may be dotted (``EntityRules.analysis``). The registry's tests resolve every reference.
    """

    module: str
    name: str

    @cached_property
    def target(self) -> T:
        value: Any = importlib.import_module(self.module)
        for part in self.name.split("."):
            value = getattr(value, part)
        return value

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.target(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.module}:{self.name}"


@dataclass(frozen=True)
class JobLabel:
    """The entity a job is about, as people name it (mapped task instances, the dashboard).

    ``field`` is the job configuration key holding it; ``with_database`` prefixes it with the job's
    EDM (a treaty is created once per EDM that uses it).
    """

    field: str
    with_database: bool = False


@dataclass(frozen=True)
class JobList:
    """Where Moody's lists the jobs of an asynchronous batch type, to find a job whose submission's
    answer was lost: the list, the job ``type`` to ask for where the list also holds other jobs of
    the same name (EDM deletes are named after the EDM), and the name Moody's gives the job."""

    path: ApiPath
    job_type: str | None
    #: (MoodysApi, job configuration) → the job's name in Moody's (contract §2.4).
    name: Ref[Callable[..., str]]


@dataclass(frozen=True)
class ExistingEntities:
    """The entity a job creates may already exist in Moody's: ``on_existing`` applies.

    ``code`` is the must-not-exist validation code that lists them; ``entity`` names the entity a
    job creates as that code's message names it (a prefix when Moody's adds a suffix: the RDM
    database is ``<rdm name>_<suffix>``); ``delete`` deletes the entities of the given jobs.
    """

    code: str
    #: job configuration → the entity it creates.
    entity: Ref[Callable[[JobData], str]]
    #: (job ids, EntityValidator, *, store) → one error string per failed deletion.
    delete: Ref[Callable[..., list[str]]]
    prefix_match: bool = False

    def matches(self, data: JobData, entity: str) -> bool:
        key = self.entity(data)
        return entity == key or (self.prefix_match and entity.startswith(f"{key}_"))


@dataclass(frozen=True)
class EmittedAsset:
    """The asset a completed batch updates: ``irp://cycles/<cycle>/<kind>``; its event names the
    entities in the jobs' ``entity_field``."""

    kind: str
    entity_field: str


@dataclass(frozen=True)
class BatchTypeEntry:
    """Everything that differs between batch types, for one batch type."""

    batch_type: BatchType
    #: Submitting a job also completes it: no Moody's job to follow.
    synchronous: bool
    label: JobLabel
    #: The typed job spec class a stored job configuration is read as (:meth:`job_spec`).
    spec: Ref[type[JobSpec]]
    # -- the workbook (irp.configuration) ------------------------------------------------------
    #: parsed document → whether the cycle creates this batch type (§4.3).
    required: Ref[Callable[[JobData], bool]]
    #: parsed document → the job configurations, in sheet order.
    generate: Ref[Callable[[JobData], list[dict[str, Any]]]]
    #: parsed document → how many jobs ``generate`` returns, without building them.
    count: Ref[Callable[[JobData], int]]
    #: The workbook row a job comes from (resubmission with changes); None: jobs derived from
    #: several sheets, of which only ``changeable`` fields may change.
    row_source: RowSource | None
    # -- running jobs --------------------------------------------------------------------------
    #: (cycle name, Settings) → the JobBackend that runs the jobs.
    backend: Ref[Callable[..., Any]]
    #: SubmissionContext → SubmissionResult (irp.moodys.jobs); None for the SQL runners.
    submit: Ref[Callable[..., Any]] | None
    #: The endpoint polled for a job's status; None for synchronous batch types.
    status_path: ApiPath | None
    #: Where many jobs are asked for in one request (contract §2.2 "Status (batch)": platform job
    #: lists filtered by ``jobId IN (…)``, legacy workflows by ``ids=``); None: one request per job
    #: (import, grouping and export jobs have no documented list form).
    status_list: ApiPath | None = None
    #: Where a lost asynchronous submission is looked up by name.
    job_list: JobList | None = None
    #: SubmissionLookup → the SubmissionResult Moody's has, or None; None: nothing is looked up
    #: (sending the job again creates nothing twice).
    find_submission: Ref[Callable[..., Any]] | None = None
    # -- entities in Moody's (irp.moodys.validation) -------------------------------------------
    #: (EntityRules, job configurations, document) → None (messages collected); None: no validation.
    validate: Ref[Callable[..., None]] | None = None
    #: (MoodysApi, job configuration, document) → whether a FINISHED job's entity is still there.
    entity_exists: Ref[Callable[..., bool]] | None = None
    existing: ExistingEntities | None = None
    # -- the cycle's DAG -----------------------------------------------------------------------
    asset: EmittedAsset | None = None
    #: Job configuration key marking the one job that runs before the others (Export to RDM's
    #: seed, which creates the RDM the others append to).
    seed_field: str | None = None
    #: Without a row: the job configuration fields a resubmission may change.
    changeable: frozenset[str] = frozenset()

    @property
    def seeded(self) -> bool:
        return self.seed_field is not None

    @property
    def may_exist(self) -> bool:
        """``on_existing`` applies: what a job creates may already exist."""
        return self.existing is not None

    def job_spec(self, data: JobData, document: JobData | None = None) -> JobSpec:
        """A stored job configuration as this batch type's typed spec; ``document`` (the parsed
        workbook) fills what a spec derives from other rows (Portfolio Mapping's sub-portfolios)."""
        return self.spec.target.from_json(data, document)

    def is_seed(self, data: JobData) -> bool:
        """A job that does not say is the seed, as the Moody's client reads it (the spec's ``seed``)."""
        return self.seed_field is not None and bool(data.get(self.seed_field, True))

    def refs(self) -> dict[str, Ref[Any]]:
        """Every behaviour reference of the entry (resolved by the registry's tests)."""
        found: dict[str, Ref[Any]] = {}
        for name, value in vars(self).items():
            if isinstance(value, Ref):
                found[name] = value
            elif isinstance(value, JobList | ExistingEntities):
                found.update({f"{name}.{k}": v for k, v in vars(value).items() if isinstance(v, Ref)})
        return found


#: The modules the entries' references point into.
CONFIGURATION = "irp.configuration.jobs"
MOODYS = "irp.moodys.jobs"
VALIDATION = "irp.moodys.validation"
BACKENDS = "irp.backends"
STORE_JOBS = "irp.job"
SPECS = "irp.configuration.specs"
