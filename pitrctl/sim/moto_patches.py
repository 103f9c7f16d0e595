"""What moto lacks or does differently, patched in as context managers (``shared/notes/moto.md``).

- ``restore_status``: ``DescribeTable`` of a simulated restore answers ``CREATING`` and a
  ``RestoreSummary`` (``restores.Restores``);
- ``route_lambda``: Lambda invocations (Step Functions ``lambda:invoke`` tasks) run in-process
  handlers instead of containers; a raised exception becomes a function error named after its type;
- ``fast_sqs_clock``: speed only, same values;
- ``fast_transactions``: speed only, same outcome (one rollback snapshot per table, not per action);
- ``unhook_stream_mappings``: moto wipes a stream that has a Lambda mapping; this clears the table's
  internal mapping list so the stream keeps its records;
- ``lambda_zip``: the deployment package every simulated function is created with.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from unittest import mock

from pitrctl.sim.events import ACCOUNT, REGION
from pitrctl.sim.restores import Restores

OFFLINE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    # moto.md: DynamoDB Streams calls break with account-id endpoints on botocore >= 1.44.4.
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}


@contextlib.contextmanager
def offline_environment() -> Iterator[None]:
    """Credentials and region that can never reach a real account (restored on exit)."""
    with mock.patch.dict(os.environ, OFFLINE_ENV):
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            os.environ.pop(name, None)
        yield


def lambda_zip() -> bytes:
    """A placeholder package: simulated functions run in-process (``route_lambda``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def create_function(lam: Any, name: str, role: str, handler: str = "handler.handler", **settings: Any) -> str:
    """Create function ``name`` with the placeholder package (``settings``: more CreateFunction
    parameters); returns its ARN."""
    return lam.create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=role,
        Handler=handler,
        Code={"ZipFile": lambda_zip()},
        **settings,
    )["FunctionArn"]


def restore_status(restores: Restores) -> Any:
    from moto.dynamodb.models.table import Table  # noqa: PLC0415 - moto only when simulating

    original = Table.describe

    def describe(table: Any, base_key: str = "TableDescription") -> dict[str, Any]:
        result = original(table, base_key=base_key)
        overlay = restores.describe(table.name)
        if overlay is not None:
            result[base_key].update(overlay)
        return result

    return mock.patch.object(Table, "describe", describe)


def route_lambda(handlers: Mapping[str, Callable[[dict[str, Any]], Any]]) -> Any:
    """Lambda invocations run ``handlers[function name](event)``; unknown names fail as NotRouted."""
    from moto.awslambda.models import LambdaFunction  # noqa: PLC0415

    def invoke(function: Any, event: Any = None) -> tuple[str, bool, str]:
        payload = json.loads(event) if isinstance(event, str) else event
        handler = handlers.get(function.function_name)
        if handler is None:
            return json.dumps({"errorType": "NotRouted", "errorMessage": function.function_name}), True, ""
        try:
            return json.dumps(handler(payload), default=str), False, ""
        except Exception as exc:  # a function error, as Lambda reports it to Step Functions
            return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}), True, ""

    return mock.patch.object(LambdaFunction, "_invoke_lambda", invoke)


def fast_sqs_clock() -> Any:
    """moto's SQS asks for the time once per queued message on every call (through datetime
    arithmetic); the epoch milliseconds come straight from ``time.time()`` instead."""
    import moto.sqs.models as sqs_models  # noqa: PLC0415

    slow = sqs_models.unix_time_millis
    return mock.patch.object(
        sqs_models, "unix_time_millis", lambda dt=None: time.time() * 1000.0 if dt is None else slow(dt)
    )


def fast_transactions() -> Any:
    """moto's ``TransactWriteItems`` deep-copies a table once per *action* for its rollback, so a
    guarded batch (target write + ledger row per change, up to 100 actions) copies both tables up to
    50 times each and a rehearsal grows quadratic. All those copies are taken before any action runs
    and are identical, so copying each table once per transaction keeps the rollback the same."""
    import copy  # noqa: PLC0415

    import moto.dynamodb.models as ddb_models  # noqa: PLC0415

    real = ddb_models.DynamoDBBackend.transact_write_items

    def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
        snapshots: dict[int, Any] = {}

        def deepcopy_once(obj: Any, memo: Any = None) -> Any:
            if isinstance(obj, ddb_models.Table):
                if id(obj) not in snapshots:
                    snapshots[id(obj)] = copy.deepcopy(obj)
                return snapshots[id(obj)]
            return copy.deepcopy(obj, memo)

        with mock.patch.object(ddb_models, "copy", mock.Mock(deepcopy=deepcopy_once)):
            return real(backend, transact_items)

    return mock.patch.object(ddb_models.DynamoDBBackend, "transact_write_items", transact_write_items)


def unhook_stream_mappings(table: str, account: str = ACCOUNT, region: str = REGION) -> None:
    from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415

    dynamodb_backends[account][region].get_table(table).lambda_event_source_mappings.clear()
