# cdc_buffer.tf: the buffer, the stream and replay mappings, the spill bucket, the ordering ledger,
# the two functions' IAM and the data path's alarms.

mock_provider "aws" {
  source = "./tests/mocks"
}

run "buffer_is_a_high_throughput_fifo_with_standby_retention" {
  command = apply

  assert {
    condition     = aws_sqs_queue.buffer.fifo_queue && aws_sqs_queue.buffer.deduplication_scope == "messageGroup" && aws_sqs_queue.buffer.fifo_throughput_limit == "perMessageGroupId"
    error_message = "The buffer must be a high-throughput FIFO queue (dedup per message group, throughput per group)."
  }
  assert {
    condition     = aws_sqs_queue.buffer.max_message_size == 1048576 && aws_sqs_queue.buffer.content_based_deduplication != true
    error_message = "The buffer must accept 1 MiB messages and deduplicate by the stream eventID, not by content."
  }
  assert {
    condition     = aws_sqs_queue.buffer.message_retention_seconds == 4 * 3600 && output.buffer_standby_retention_seconds == aws_sqs_queue.buffer.message_retention_seconds
    error_message = "Standby retention must default to 4 hours and be exported for the workflow."
  }
  assert {
    condition     = aws_sqs_queue.buffer.visibility_timeout_seconds >= 6 * 60
    error_message = "The visibility timeout must be at least 6x the replay writer's timeout."
  }
  assert {
    condition     = jsondecode(aws_sqs_queue.buffer.redrive_policy).deadLetterTargetArn == aws_sqs_queue.buffer_dlq.arn && jsondecode(aws_sqs_queue.buffer.redrive_policy).maxReceiveCount == 50
    error_message = "The buffer must redrive to its dead-letter queue."
  }
  assert {
    condition     = aws_sqs_queue.buffer_dlq.fifo_queue && aws_sqs_queue.buffer_dlq.message_retention_seconds == 14 * 86400
    error_message = "The dead-letter queue of a FIFO queue must be FIFO, and keep messages 14 days."
  }
  assert {
    condition     = alltrue([for q in [aws_sqs_queue.buffer, aws_sqs_queue.buffer_dlq, aws_sqs_queue.stream_failures] : q.sqs_managed_sse_enabled == true && q.kms_master_key_id == null])
    error_message = "Without a customer key every queue must use SQS managed encryption."
  }
  assert {
    condition     = alltrue([for k, p in aws_sqs_queue_policy.tls_only : jsondecode(p.policy).Statement[0].Effect == "Deny" && jsondecode(p.policy).Statement[0].Condition.Bool["aws:SecureTransport"] == "false"])
    error_message = "Every queue must deny non-TLS access."
  }
  assert {
    condition     = length(aws_sqs_queue_policy.tls_only) == 3
    error_message = "The buffer, its DLQ and the failure queue each need the TLS-only policy."
  }
}

run "stream_mapping_retries_until_expiry_and_reports_failures" {
  command = apply

  assert {
    condition     = aws_lambda_event_source_mapping.stream.maximum_retry_attempts == -1 && aws_lambda_event_source_mapping.stream.maximum_record_age_in_seconds == -1
    error_message = "The stream mapping must retry until the record leaves the stream."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.stream.bisect_batch_on_function_error == false && contains(aws_lambda_event_source_mapping.stream.function_response_types, "ReportBatchItemFailures")
    error_message = "The stream mapping must use ReportBatchItemFailures and must not bisect (a bisected retry can reorder an item's changes)."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.stream.destination_config[0].on_failure[0].destination_arn == aws_sqs_queue.stream_failures.arn
    error_message = "Records that cannot be buffered must go to the failure queue."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.stream.event_source_arn == local.source_stream_arn && aws_lambda_event_source_mapping.stream.batch_size == 100 && aws_lambda_event_source_mapping.stream.parallelization_factor == 1
    error_message = "The stream mapping reads the source stream with the configured batch size and parallelization."
  }
}

run "replay_mapping_is_created_disabled" {
  command = apply

  assert {
    condition     = aws_lambda_event_source_mapping.replay.enabled == false
    error_message = "The replay mapping must be created disabled (the workflow enables it)."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.replay.batch_size <= 10 && contains(aws_lambda_event_source_mapping.replay.function_response_types, "ReportBatchItemFailures")
    error_message = "FIFO batches hold at most 10 messages, with partial batch responses."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.replay.scaling_config[0].maximum_concurrency == 200 && aws_lambda_event_source_mapping.replay.event_source_arn == aws_sqs_queue.buffer.arn
    error_message = "The replay mapping reads the buffer with the configured maximum concurrency."
  }
  assert {
    condition     = output.stream_mapping_uuid == aws_lambda_event_source_mapping.stream.uuid && output.replay_mapping_uuid == aws_lambda_event_source_mapping.replay.uuid
    error_message = "Mapping UUIDs must be exported for the workflow."
  }
  assert {
    condition     = local.cdc_buffer_manifest.buffer_standby_retention_seconds == var.buffer_standby_retention_seconds && local.cdc_buffer_manifest.buffer_restore_retention_seconds == aws_sqs_queue.buffer_dlq.message_retention_seconds && local.cdc_buffer_manifest.buffer_queue_url == aws_sqs_queue.buffer.url && local.cdc_buffer_manifest.replay_mapping_uuid == aws_lambda_event_source_mapping.replay.uuid && local.cdc_buffer_manifest.buffer_dlq_arn == aws_sqs_queue.buffer_dlq.arn && local.cdc_buffer_manifest.stream_failure_queue_arn == aws_sqs_queue.stream_failures.arn && local.cdc_buffer_manifest.spill_bucket == aws_s3_bucket.spill.bucket
    error_message = "The manifest must carry the queues, bucket, mappings and retention."
  }
}

run "replay_writer_iam_is_scoped_and_denies_the_source" {
  command = apply

  assert {
    condition = anytrue([for s in jsondecode(module.data_path_function["replay_writer"].policy).Statement :
      s.Effect == "Allow" && contains(s.Action, "dynamodb:BatchWriteItem") && s.Resource == ["arn:aws:dynamodb:eu-west-1:123456789012:table/orders-restored-*"]
    ])
    error_message = "Writes must be allowed only on table/<pattern>."
  }
  assert {
    condition = alltrue([for s in jsondecode(module.data_path_function["replay_writer"].policy).Statement :
      s.Effect == "Deny" || length(setintersection(s.Action, ["dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:DeleteItem"])) == 0 || s.Resource == ["arn:aws:dynamodb:eu-west-1:123456789012:table/orders-restored-*"] || (s.Resource == [aws_dynamodb_table.ledger.arn] && s.Action == ["dynamodb:PutItem"])
    ])
    error_message = "No allow statement may grant table writes beyond the pattern (and PutItem on the ordering ledger)."
  }
  assert {
    condition = anytrue([for s in jsondecode(module.data_path_function["replay_writer"].policy).Statement :
      s.Effect == "Deny" && contains(s.Action, "dynamodb:BatchWriteItem") && contains(s.Action, "dynamodb:PutItem") && contains(s.Action, "dynamodb:DeleteItem") && contains(s.Resource, local.source_table_arn) && contains(s.Resource, "${local.source_table_arn}/index/*")
    ])
    error_message = "The writer must be explicitly denied writes to the source table and its indexes."
  }
  assert {
    condition = anytrue([for s in jsondecode(module.data_path_function["replay_writer"].policy).Statement :
      s.Effect == "Allow" && s.Action == ["ssm:GetParameter"] && s.Resource == ["arn:aws:ssm:eu-west-1:123456789012:parameter/dynamodb-pitr/orders/restore"]
    ])
    error_message = "The writer may read only the restore record parameter."
  }
  assert {
    condition = anytrue([for s in jsondecode(module.data_path_function["replay_writer"].policy).Statement :
      s.Effect == "Allow" && contains(s.Action, "sqs:ReceiveMessage") && contains(s.Action, "sqs:DeleteMessage") && s.Resource == [aws_sqs_queue.buffer.arn]
    ])
    error_message = "The writer consumes only the buffer."
  }
  assert {
    condition = anytrue([for s in jsondecode(module.data_path_function["replay_writer"].policy).Statement :
      s.Effect == "Allow" && s.Action == ["s3:GetObject"] && s.Resource == ["${aws_s3_bucket.spill.arn}/changes/*"]
    ])
    error_message = "The writer reads only the spill bucket's changes."
  }
  assert {
    condition     = alltrue([for s in jsondecode(module.data_path_function["replay_writer"].policy).Statement : !contains(s.Resource, "*") || contains(["WriteTraces"], s.Sid)])
    error_message = "No '*' resource beyond X-Ray."
  }
}

run "subscriber_iam_is_scoped" {
  command = apply

  assert {
    condition = anytrue([for s in jsondecode(module.data_path_function["cdc_subscriber"].policy).Statement :
      s.Effect == "Allow" && contains(s.Action, "dynamodb:GetRecords") && s.Resource == [local.source_stream_arn]
    ])
    error_message = "The subscriber reads only the source stream."
  }
  assert {
    condition = alltrue([for s in jsondecode(module.data_path_function["cdc_subscriber"].policy).Statement :
      !contains(s.Action, "sqs:SendMessage") || s.Resource == [aws_sqs_queue.buffer.arn, aws_sqs_queue.stream_failures.arn]
    ])
    error_message = "The subscriber sends only to the buffer (and the mapping's failure destination)."
  }
  assert {
    condition = anytrue([for s in jsondecode(module.data_path_function["cdc_subscriber"].policy).Statement :
      s.Effect == "Allow" && s.Action == ["s3:PutObject"] && s.Resource == ["${aws_s3_bucket.spill.arn}/changes/*"]
    ])
    error_message = "The subscriber writes only to the spill bucket."
  }
  assert {
    condition     = alltrue([for s in jsondecode(module.data_path_function["cdc_subscriber"].policy).Statement : !anytrue([for a in s.Action : startswith(a, "dynamodb:") && !contains(["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"], a)])])
    error_message = "The subscriber has no DynamoDB permission beyond reading the stream."
  }
}

run "spill_bucket_is_private_encrypted_and_expiring" {
  command = apply

  assert {
    condition     = aws_s3_bucket_public_access_block.spill.block_public_acls && aws_s3_bucket_public_access_block.spill.block_public_policy && aws_s3_bucket_public_access_block.spill.ignore_public_acls && aws_s3_bucket_public_access_block.spill.restrict_public_buckets
    error_message = "The spill bucket must block all public access."
  }
  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.spill.rule).expiration[0].days == 29
    error_message = "Spilled changes must live as long as their message can: 14 days in the buffer, 14 in the FIFO dead-letter queue (its enqueue time resets), plus a day."
  }
  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.spill.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "Without a customer key the spill bucket uses SSE-S3."
  }
  assert {
    condition     = jsondecode(aws_s3_bucket_policy.spill.policy).Statement[0].Effect == "Deny" && jsondecode(aws_s3_bucket_policy.spill.policy).Statement[0].Condition.Bool["aws:SecureTransport"] == "false"
    error_message = "The spill bucket must deny non-TLS access."
  }
}

run "alarms_notify_the_topic" {
  command = apply

  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.cdc_buffer)) == toset(["subscriber-errors", "subscriber-failed-sends", "stream-iterator-age", "stream-failures", "buffer-dead-letters", "replay-errors", "replay-guard-failures", "replay-lag"])
    error_message = "Alarms: subscriber errors and failed sends, iterator age, failure queue, DLQ, replay errors, ordering guard failures, replay lag."
  }
  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.cdc_buffer : a.alarm_actions == toset([local.topic_arn_ref])])
    error_message = "Every alarm must notify the topic."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.cdc_buffer["buffer-dead-letters"].dimensions.QueueName == aws_sqs_queue.buffer_dlq.name && aws_cloudwatch_metric_alarm.cdc_buffer["buffer-dead-letters"].threshold == 0
    error_message = "Anything in the dead-letter queue alarms."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.cdc_buffer["replay-lag"].namespace == "DynamoDBPitrRestore" && aws_cloudwatch_metric_alarm.cdc_buffer["replay-lag"].dimensions.SourceTable == "orders"
    error_message = "The lag alarm reads the writer's EMF metric."
  }
}

run "ordering_ledger_is_scoped_encrypted_and_expiring" {
  command = apply

  assert {
    condition     = aws_dynamodb_table.ledger.billing_mode == "PAY_PER_REQUEST" && aws_dynamodb_table.ledger.hash_key == "pk" && one(aws_dynamodb_table.ledger.ttl).attribute_name == "expires_at" && one(aws_dynamodb_table.ledger.ttl).enabled
    error_message = "The ledger is on demand, keyed by pk, and its rows expire by TTL (expires_at)."
  }
  assert {
    condition     = one(aws_dynamodb_table.ledger.server_side_encryption).enabled
    error_message = "The ledger is encrypted."
  }
  assert {
    condition = length([for s in jsondecode(module.data_path_function["replay_writer"].policy).Statement : s if contains(s.Resource, aws_dynamodb_table.ledger.arn)]) == 1 && anytrue([for s in jsondecode(module.data_path_function["replay_writer"].policy).Statement :
      s.Effect == "Allow" && s.Action == ["dynamodb:PutItem"] && s.Resource == [aws_dynamodb_table.ledger.arn]
    ])
    error_message = "The writer may only PutItem on the ledger (the conditional watermark of each transaction)."
  }
  assert {
    condition     = alltrue([for s in jsondecode(module.data_path_function["cdc_subscriber"].policy).Statement : !contains(s.Resource, aws_dynamodb_table.ledger.arn)])
    error_message = "Only the writer touches the ledger."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.cdc_buffer["replay-guard-failures"].metric_name == "GuardFailures" && aws_cloudwatch_metric_alarm.cdc_buffer["replay-guard-failures"].threshold == 0 && aws_cloudwatch_metric_alarm.cdc_buffer["replay-guard-failures"].dimensions.SourceTable == "orders"
    error_message = "A change that cannot be written with its watermark alarms."
  }
  assert {
    condition     = local.cdc_buffer_manifest.ledger_table_name == aws_dynamodb_table.ledger.name
    error_message = "The manifest names the ledger (pitrctl deadletters uses it)."
  }
}

run "customer_key_encrypts_queues_and_bucket" {
  command = apply

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition     = alltrue([for q in [aws_sqs_queue.buffer, aws_sqs_queue.buffer_dlq, aws_sqs_queue.stream_failures] : q.kms_master_key_id == var.kms_key_arn])
    error_message = "With a customer key every queue uses it."
  }
  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.spill.rule).apply_server_side_encryption_by_default).kms_master_key_id == var.kms_key_arn
    error_message = "With a customer key the spill bucket uses it."
  }
  assert {
    condition     = one(aws_dynamodb_table.ledger.server_side_encryption).kms_key_arn == var.kms_key_arn
    error_message = "With a customer key the ordering ledger uses it."
  }
  assert {
    condition = anytrue([for s in jsondecode(module.data_path_function["replay_writer"].policy).Statement :
      s.Effect == "Allow" && contains(s.Action, "kms:Decrypt") && s.Resource == [var.kms_key_arn]
    ])
    error_message = "The writer may decrypt with the customer key."
  }
}

run "settings_are_configurable" {
  command = apply

  variables {
    buffer_standby_retention_seconds = 7200
    cdc_subscriber                   = { batch_size = 500, parallelization_factor = 4 }
    replay_writer                    = { timeout = 120, batch_size = 5, maximum_concurrency = 10 }
  }

  # The runs of this file share state: the buffer exists since the first run, so the new standby
  # value must NOT be applied to it (lifecycle ignore_changes; the workflow owns retention), while the
  # output the workflow uses at release does follow the input.
  assert {
    condition     = aws_sqs_queue.buffer.message_retention_seconds == 4 * 3600 && output.buffer_standby_retention_seconds == 7200
    error_message = "An apply must not change the existing buffer's retention; the exported standby value follows the input."
  }
  assert {
    condition     = aws_sqs_queue.buffer.visibility_timeout_seconds == 720
    error_message = "The visibility timeout follows the writer's timeout (6x)."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.stream.batch_size == 500 && aws_lambda_event_source_mapping.stream.parallelization_factor == 4
    error_message = "Stream mapping settings follow the inputs."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.replay.batch_size == 5 && aws_lambda_event_source_mapping.replay.scaling_config[0].maximum_concurrency == 10
    error_message = "Replay mapping settings follow the inputs."
  }
}

run "fifo_batch_size_over_ten_is_refused" {
  command = plan

  variables {
    replay_writer = { batch_size = 11 }
  }

  expect_failures = [var.replay_writer]
}

run "too_short_standby_retention_is_refused" {
  command = plan

  variables {
    buffer_standby_retention_seconds = 900
  }

  expect_failures = [var.buffer_standby_retention_seconds]
}
