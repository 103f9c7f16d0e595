"""The simulation kit: AWS as unkind as AWS documents it, for the tests, ``pitrctl rehearse`` and
``make bench``. Everything runs in-process on moto plus what moto lacks (``shared/notes/moto.md``).

Module -> what it simulates:

- ``clock``: ``SimClock``, simulated time; sleeps advance it (or, driver-only, wait for it).
- ``moto_patches``: Lambda invocations routed to in-process handlers; a restore's ``DescribeTable``;
  offline credentials; the one placeholder zip; moto's stream-wiping mappings unhooked.
- ``restores``: ``Restores``, ``RestoreTableToPointInTime`` (CREATING period, restore-point
  contents, ``RestoreSummary``, not-found window); ``scan_all``.
- ``events``: canonical AWS events as data files (``events/*.json``: CloudTrail restore call,
  stream record and TTL delete, SQS FIFO record, stream on-failure record) and their builders.
- ``stream_mapping``: ``StreamDriver``, Lambda's DynamoDB stream poller (checkpoints, partial
  batch failures, bisect, duplicate and late duplicate batches).
- ``sqs_mapping``: ``FifoPoller``, Lambda's SQS FIFO poller (groups, partial batch failures,
  redrive, lost deletes, visibility timeouts running out under an invocation, throttled
  invocations); ``redrive``, a dead-letter queue's messages back to the end of their groups.
- ``sqs_dedup``: the 5-minute FIFO deduplication interval over moto, on simulated time.
- ``botocore_layer``: AWS rules moto lacks, answered at botocore's level on one client;
  ``lambda_layer`` (one mapping per function and event source, encrypted filters null in List) and
  ``sfn_layer`` (stop by hand, answers to closed executions, names taken for 90 days, the history
  limit) are the layers.
- ``fifo_queue``: ``FakeFifoQueue``, an in-memory SQS FIFO queue for ``make bench``.
- ``dynamodb_extras``: ``DynamoDBExtrasFake``, the DynamoDB calls moto lacks (with warm throughput
  and global table replicas as AWS documents them); ``LambdaMappingsFake``, event source mappings as
  AWS documents them (one per function and source, encrypted filters); ``paginate``.
- ``faults``: one class per documented AWS fault, each with its rate; ``Faults`` (``Faults(name=rate)``,
  ``Faults.every(rate)``) and the client proxies that inject them.
- ``functions``: the functions as Lambda builds them, from the environment Terraform renders
  (``pitr.environment``) through ``from_env``.
- ``worlds``: the source table with every setting a restore drops (``build_source``, ``build``);
  ``settings_of``, the one snapshot reading a table's settings back.
- ``data_path``: ``DataPath``, source -> stream -> subscriber -> buffer -> writer -> target.
- ``workflow_world``: ``World``, the real workflow in moto's Step Functions with the real waiter and
  steps (tests: the ``world_factory`` fixture).
- ``standins``: stand-ins for this project's own data path and settings_sync, for ``World``.
- ``sandbox``: ``Sandbox``, the whole module deployed into moto on simulated time (rehearse).
- ``traffic``: live traffic, puts, updates and deletes, some near 400 KB.
- ``verify``: item-by-item and setting-by-setting comparison of two tables.

Modules load moto only when they run, so importing ``pitrctl`` stays light.
"""
