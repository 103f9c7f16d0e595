"""Pipeline harnesses: drive the real handlers the way Lambda's pollers would, against moto.

* :mod:`pipeline.stream_driver` (``StreamDriver``): reads a moto DynamoDB stream and invokes a
  stream handler like Lambda's DynamoDB stream poller (checkpoints, ReportBatchItemFailures, bisect).
* :mod:`pipeline.fifo_poller` (``FifoPoller``): receives from a moto SQS FIFO queue and invokes a
  handler like Lambda's SQS FIFO poller (batches of at most 10, group held while in flight, failed
  messages redelivered in order, successes deleted).

Inside pytest (``tests/`` is on ``sys.path``) import them as ``pipeline.fifo_poller``; from the
repository root (``make bench``, ``pitrctl rehearse``) as ``tests.pipeline.fifo_poller``.
"""
