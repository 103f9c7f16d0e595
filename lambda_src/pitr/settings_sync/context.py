"""What every setting needs: the two tables, AWS clients, retries, pagination, waits and the clock.

Sleep and clock are injectable so tests can drive waits and the time limit without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError, ParamValidationError

from pitr import clients
from pitr.backoff import Backoff

# One retry policy per call path. botocore's standard mode (pitr.clients: 5 attempts) already retries
# throttling (ThrottlingException, TooManyRequestsException, LimitExceededException...), 5xx answers
# and connection errors; retrying those again here would multiply the attempts. This loop retries
# only what botocore never does: "the resource is busy", which clears once an earlier change
# finishes. ResourceInUse is how DynamoDB refuses an update while the table or an index is still
# UPDATING, and how Lambda refuses "to update an event source mapping in the CREATING state";
# ConcurrentUpdate is Application Auto Scaling's. ResourceConflictException is NOT here: Lambda
# answers it for a second mapping of the same function and event source ("The event source arn
# ... and function ... provided mapping already exists. Please update or delete the existing
# mapping with UUID ..."), which no wait resolves.
RETRYABLE = frozenset({"ResourceInUseException", "ConcurrentUpdateException"})


class OutOfTimeError(Exception):
    """The run reached its deadline (Lambda time limit minus a margin); the rest is left for a rerun."""


class TargetNotReadyError(Exception):
    """The target table or one of its indexes did not become ACTIVE in time."""


def error_code(exc: BaseException) -> str:
    return exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""


@dataclass
class SyncContext:
    """One run: source and target, phase, and the shared machinery the settings use."""

    source_table: str
    target_table: str
    phase: str
    exclude_mapping_uuids: frozenset[str] = frozenset()
    # Warm throughput: what the replay backlog needs (input) and the deployment's ceiling on it.
    warm_write_units_per_second: int = 0
    warm_write_units_max: int = 0
    # Global tables: add the source's replica Regions to the target at cut-over (off by default).
    add_replicas: bool = False
    client: Callable[[str], Any] = clients.client
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    deadline: float = float("inf")
    backoff: Backoff = field(default_factory=lambda: Backoff(base=0.25, cap=8.0, floor=0.1))
    max_attempts: int = 8
    # Longest wait for the target (and its indexes) to become ACTIVE between two updates.
    active_wait_seconds: float = 600.0
    _descriptions: dict[str, dict[str, Any]] = field(default_factory=dict)

    # ---- time ---------------------------------------------------------------------------------
    def time_left(self) -> float:
        return self.deadline - self.clock()

    def check_time(self) -> None:
        if self.time_left() <= 0:
            raise OutOfTimeError("time limit reached: run the same phase again to finish (it is idempotent)")

    # ---- calls --------------------------------------------------------------------------------
    def call(
        self, method: Callable[..., Any], retry_codes: frozenset[str] = frozenset(), **kwargs: Any
    ) -> Any:
        """Call an AWS API; retry busy-resource errors (botocore retries throttling) with capped backoff."""
        attempt = 0
        while True:
            try:
                return method(**kwargs)
            except ClientError as exc:
                code = error_code(exc)
                if code not in RETRYABLE and code not in retry_codes:
                    raise
                if attempt + 1 >= self.max_attempts:
                    raise
                delay = self.backoff.delay(attempt)
                if self.time_left() < delay:
                    raise
                self.sleep(delay)
                attempt += 1

    def call_optional(
        self, method: Callable[..., Any], optional: dict[str, Any], **kwargs: Any
    ) -> tuple[Any, bool]:
        """Call with ``optional`` parameters, and again without them when the SDK does not know them.

        The Lambda runtime's bundled boto3 can be older than the parameters (RecoveryPeriodInDays,
        ApproximateCreationDateTimePrecision, ContributorInsightsMode): the copy then falls back to
        the service default rather than failing. Returns the response and whether the optional
        parameters were accepted.
        """
        present = {k: v for k, v in optional.items() if v is not None}
        try:
            return self.call(method, **kwargs, **present), True
        except ParamValidationError:
            if not present:
                raise
            return self.call(method, **kwargs), False

    def pages(
        self,
        method: Callable[..., Any],
        key: str,
        token_in: str = "NextToken",
        token_out: str = "NextToken",
        **kwargs: Any,
    ) -> Iterator[Any]:
        """Every element of ``key`` over all pages of a list/describe call."""
        token: str | None = None
        while True:
            page = self.call(method, **kwargs, **({token_in: token} if token else {}))
            yield from page.get(key, [])
            token = page.get(token_out)
            if not token:
                return

    # ---- tables -------------------------------------------------------------------------------
    def describe(self, table: str, refresh: bool = False) -> dict[str, Any]:
        if refresh or table not in self._descriptions:
            ddb = self.client("dynamodb")
            self._descriptions[table] = self.call(ddb.describe_table, TableName=table)["Table"]
        return self._descriptions[table]

    def source(self, refresh: bool = False) -> dict[str, Any]:
        return self.describe(self.source_table, refresh)

    def target(self, refresh: bool = False) -> dict[str, Any]:
        return self.describe(self.target_table, refresh)

    def wait_active(self, table: str | None = None) -> dict[str, Any]:
        """Wait until the table and every GSI are ACTIVE (updates are refused meanwhile)."""
        name = table or self.target_table
        start = self.clock()
        attempt = 0
        while True:
            description = self.describe(name, refresh=True)
            busy = [
                g["IndexName"]
                for g in description.get("GlobalSecondaryIndexes", [])
                if g.get("IndexStatus", "ACTIVE") != "ACTIVE"
            ]
            if description.get("TableStatus") == "ACTIVE" and not busy:
                return description
            waited = self.clock() - start
            if waited >= self.active_wait_seconds or self.time_left() <= 0:
                raise TargetNotReadyError(
                    f"table {name} is {description.get('TableStatus')}"
                    + (f" (indexes not ACTIVE: {', '.join(busy)})" if busy else "")
                    + f" after {waited:.0f} s; run the phase again when it is ACTIVE"
                )
            self.sleep(min(self.backoff.delay(attempt) + 1.0, max(0.0, self.time_left())))
            attempt += 1

    def gsi_names(self, description: dict[str, Any]) -> list[str]:
        return [g["IndexName"] for g in description.get("GlobalSecondaryIndexes", [])]
