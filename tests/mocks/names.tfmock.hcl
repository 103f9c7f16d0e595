# What AWS names the resources of the root's deployment for table "orders", for every root test that
# mocks with this directory: the dashboard keys SQS metrics by the queue names it takes from the ARNs,
# the steps function's policy names the replay mapping by its UUID, the state machine's and the topic's
# ARNs are those the module builds from their names (for the manifest), and tests/test_iam_per_call.py
# (tests/terraform/iam) resolves the resources each AWS call touches from these. The targets are root
# addresses, so the examples (whose module is a child) keep the mock's generated values.

override_resource {
  target = aws_sqs_queue.buffer
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:pitr-orders-buffer.fifo"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/pitr-orders-buffer.fifo"
  }
}

override_resource {
  target = aws_sqs_queue.buffer_dlq
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:pitr-orders-buffer-dlq.fifo"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/pitr-orders-buffer-dlq.fifo"
  }
}

override_resource {
  target = aws_sqs_queue.stream_failures
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:pitr-orders-stream-failures"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/pitr-orders-stream-failures"
  }
}

override_resource {
  target = aws_s3_bucket.spill
  values = {
    bucket = "pitr-orders-spill-20260101000000000000000001"
    arn    = "arn:aws:s3:::pitr-orders-spill-20260101000000000000000001"
  }
}

override_resource {
  target = aws_dynamodb_table.ledger
  values = {
    name = "pitr-orders-ledger"
    arn  = "arn:aws:dynamodb:eu-west-1:123456789012:table/pitr-orders-ledger"
  }
}

override_resource {
  target = aws_lambda_event_source_mapping.stream
  values = { uuid = "bbbbbbbb-0000-4000-8000-000000000002" }
}

override_resource {
  target = aws_lambda_event_source_mapping.replay
  values = { uuid = "aaaaaaaa-0000-4000-8000-000000000001" }
}

override_resource {
  target = aws_sfn_state_machine.this
  values = { arn = "arn:aws:states:eu-west-1:123456789012:stateMachine:pitr-orders-restore" }
}

override_resource {
  target = aws_sns_topic.notifications
  values = { arn = "arn:aws:sns:eu-west-1:123456789012:pitr-orders-notifications" }
}
