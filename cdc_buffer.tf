################################################################################
# Change capture and replay: stream -> subscriber -> buffer -> replay writer -> restored table
################################################################################

locals {
  # S3 bucket names: lowercase, no '_'; bucket_prefix allows at most 37 characters.
  spill_bucket_prefix = "${trim(substr(lower(replace(local.name_prefix, "_", "-")), 0, 30), "-")}-spill-"

  # How long spilled bodies are kept: as long as their message can live. A message waits up to 14
  # days in the buffer, then up to 14 more in the dead-letter queue: "For FIFO queues, the enqueue
  # timestamp resets when the message is moved to a dead-letter queue" (SQS developer guide,
  # dead-letter queue retention). 28 days plus a day of margin.
  spill_retention_days = 2 * local.sqs_max_retention_seconds / 86400 + 1

  ledger_table_name = "${local.name_prefix}-ledger"
  metrics_namespace = "DynamoDBPitrRestore"

  kms_statements = var.kms_key_arn == null ? [] : [
    {
      # SQS SSE-KMS and S3 SSE-KMS with the customer key: data keys to write, decrypt to read.
      Sid      = "UseCustomerKey"
      Effect   = "Allow"
      Action   = ["kms:GenerateDataKey", "kms:Decrypt"]
      Resource = [var.kms_key_arn]
    },
  ]
}

################################################################################
# Buffer: SQS FIFO queue, its dead-letter queue, the stream failure destination
################################################################################

resource "aws_sqs_queue" "buffer_dlq" {
  name                       = "${local.name_prefix}-buffer-dlq.fifo"
  fifo_queue                 = true
  deduplication_scope        = "messageGroup"
  fifo_throughput_limit      = "perMessageGroupId"
  max_message_size           = 1048576
  message_retention_seconds  = local.sqs_max_retention_seconds
  kms_master_key_id          = var.kms_key_arn
  sqs_managed_sse_enabled    = var.kms_key_arn == null ? true : null
  tags                       = local.tags
  visibility_timeout_seconds = 300
}

resource "aws_sqs_queue" "buffer" {
  name                  = "${local.name_prefix}-buffer.fifo"
  fifo_queue            = true
  deduplication_scope   = "messageGroup"
  fifo_throughput_limit = "perMessageGroupId"
  max_message_size      = 1048576
  # Standby value; the restore workflow raises it to 14 days during a restore (docs/design.md).
  message_retention_seconds = var.buffer_standby_retention_seconds
  # AWS guidance for Lambda SQS sources: at least 6x the function timeout, so a batch that is being
  # retried inside the function is not delivered a second time meanwhile.
  visibility_timeout_seconds = 6 * var.replay_writer.timeout
  receive_wait_time_seconds  = 20
  kms_master_key_id          = var.kms_key_arn
  sqs_managed_sse_enabled    = var.kms_key_arn == null ? true : null
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.buffer_dlq.arn
    maxReceiveCount     = var.replay_writer.max_receive_count
  })
  tags = local.tags

  lifecycle {
    # An apply during a restore must not cut retention back and expire queued changes; the
    # workflow owns the value after creation.
    ignore_changes = [message_retention_seconds]
  }
}

# The stream mapping's on-failure destination: receives only shard and sequence numbers of records
# that could not be buffered. Anything here breaks coverage (alarm below).
resource "aws_sqs_queue" "stream_failures" {
  name                      = "${local.name_prefix}-stream-failures"
  message_retention_seconds = local.sqs_max_retention_seconds
  kms_master_key_id         = var.kms_key_arn
  sqs_managed_sse_enabled   = var.kms_key_arn == null ? true : null
  tags                      = local.tags
}

locals {
  queues = {
    buffer          = aws_sqs_queue.buffer
    buffer_dlq      = aws_sqs_queue.buffer_dlq
    stream_failures = aws_sqs_queue.stream_failures
  }
}

resource "aws_sqs_queue_policy" "tls_only" {
  for_each  = local.queues
  queue_url = each.value.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "sqs:*"
      Resource  = each.value.arn
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}

################################################################################
# Spill bucket: bodies still over the SQS limit after compression
################################################################################

resource "aws_s3_bucket" "spill" {
  #checkov:skip=CKV_AWS_18:Holds transient copies of stream changes for at most 14 days; access logging would log every buffered large change for no audit value.
  #checkov:skip=CKV_AWS_21:Objects are written once under unique keys and expire after 14 days; versioning would only keep deleted copies longer.
  #checkov:skip=CKV_AWS_144:Cross-region replication of a 14-day transient buffer is not needed; the source table is the system of record.
  #checkov:skip=CKV2_AWS_62:No consumer needs event notifications; the replay writer reads objects by the key in each message.
  #checkov:skip=CKV_AWS_145:Encrypted with the customer managed key when kms_key_arn is set; otherwise with S3 managed keys (SSE-S3), which need no key policy.
  bucket_prefix = local.spill_bucket_prefix
  # Transient data only (every object is a copy of a stream change, kept 29 days at most): a destroy
  # must not fail on leftover objects.
  force_destroy = true
  tags          = local.tags
}

resource "aws_s3_bucket_public_access_block" "spill" {
  bucket                  = aws_s3_bucket.spill.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "spill" {
  bucket = aws_s3_bucket.spill.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "spill" {
  bucket = aws_s3_bucket.spill.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "spill" {
  bucket = aws_s3_bucket.spill.id
  rule {
    id     = "expire-spilled-changes"
    status = "Enabled"
    filter {}
    expiration {
      days = local.spill_retention_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_policy" "spill" {
  bucket = aws_s3_bucket.spill.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.spill.arn, "${aws_s3_bucket.spill.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  depends_on = [aws_s3_bucket_public_access_block.spill]
}

################################################################################
# Ordering guard ledger: per restore and item, the newest change replay wrote (docs/ordering.md)
################################################################################

resource "aws_dynamodb_table" "ledger" {
  #checkov:skip=CKV_AWS_28:Point-in-time recovery is not needed: every row is derived from buffered changes and only matters during a restore; each restore starts from an empty key range.
  #checkov:skip=CKV2_AWS_16:On-demand capacity; auto scaling applies to provisioned tables only.
  name         = local.ledger_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"

  attribute {
    name = "pk"
    type = "S"
  }

  # Rows are keyed "<restore id>#<item identity>": a restore never sees another's rows, and rows
  # expire by themselves after 35 days (longer than a change can wait in the buffer and its DLQ).
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  point_in_time_recovery {
    enabled = false
  }

  deletion_protection_enabled = false
  tags                        = local.tags
}

################################################################################
# Subscriber: stream -> buffer
################################################################################

locals {
  subscriber_statements = concat(
    [
      {
        Sid      = "ReadSourceStream"
        Effect   = "Allow"
        Action   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
        Resource = [local.source_stream_arn]
      },
      {
        # ListStreams is authorised against the table's stream ARNs (the DynamoDB guide's
        # stream-only policy); still only this table's streams.
        Sid      = "ListSourceStreams"
        Effect   = "Allow"
        Action   = ["dynamodb:ListStreams"]
        Resource = ["${local.source_table_arn}/stream/*"]
      },
      {
        # The buffer, and the on-failure destination: the stream mapping sends failure records with
        # the function's role.
        Sid      = "SendToBuffer"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = [aws_sqs_queue.buffer.arn, aws_sqs_queue.stream_failures.arn]
      },
      {
        Sid      = "SpillLargeChanges"
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = ["${aws_s3_bucket.spill.arn}/changes/*"]
      },
    ],
    local.kms_statements,
    local.source_table_kms_key_arn == null ? [] : [
      {
        # Reading the stream of a table encrypted with a KMS key decrypts with that key: aws-cdk's
        # grantStreamRead grants kms:Decrypt on the table's key for it (aws/aws-cdk#23400, "add kms
        # permissions to grantStreamRead"). The module's own kms_key_arn may be another key.
        Sid      = "DecryptSourceStream"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = [local.source_table_kms_key_arn]
      },
    ],
  )
}

locals {
  cdc_subscriber_function = {
    description = "copies every change of the source table from its stream into the FIFO buffer"
    memory_size = var.cdc_subscriber.memory_size
    timeout     = var.cdc_subscriber.timeout
    environment = {
      BUFFER_QUEUE_URL  = aws_sqs_queue.buffer.url
      SPILL_BUCKET      = aws_s3_bucket.spill.bucket
      SOURCE_TABLE_NAME = var.source_table_name
    }
    policy_statements = local.subscriber_statements
  }
}

resource "aws_lambda_event_source_mapping" "stream" {
  event_source_arn                   = local.source_stream_arn
  function_name                      = module.data_path_function["cdc_subscriber"].function_arn
  starting_position                  = "TRIM_HORIZON"
  batch_size                         = var.cdc_subscriber.batch_size
  maximum_batching_window_in_seconds = var.cdc_subscriber.batching_window_seconds
  parallelization_factor             = var.cdc_subscriber.parallelization_factor
  # Retry until the record would leave the stream (24 h). No bisection: the subscriber reports the
  # exact record to retry from (a record it cannot buffer cuts the batch), and a bisected retry after
  # a partial send could buffer an item's older record after its newer one (reordering; shown by
  # tests/pipeline/test_data_path.py::test_bisected_retry_after_partial_send_reorders).
  maximum_retry_attempts         = -1
  maximum_record_age_in_seconds  = -1
  bisect_batch_on_function_error = false
  function_response_types        = ["ReportBatchItemFailures"]

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.stream_failures.arn
    }
  }

  tags = local.tags
}

################################################################################
# Replay writer: buffer -> restored table
################################################################################

locals {
  item_write_actions = [
    "dynamodb:BatchWriteItem",
    "dynamodb:PutItem",
    "dynamodb:DeleteItem",
    "dynamodb:UpdateItem",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
  ]

  replay_writer_statements = concat(
    [
      {
        Sid      = "ConsumeBuffer"
        Effect   = "Allow"
        Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
        Resource = [aws_sqs_queue.buffer.arn]
      },
      {
        Sid      = "ReadSpilledChanges"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${aws_s3_bucket.spill.arn}/changes/*"]
      },
      {
        Sid      = "ReadRestoreRecord"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter"]
        Resource = [local.restore_record_parameter_arn]
      },
      {
        Sid      = "WriteRestoredTables"
        Effect   = "Allow"
        Action   = ["dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]
        Resource = [local.target_table_arn_pattern]
      },
      {
        # The ordering guard: each change is one TransactWriteItems of the target write and a
        # conditional Put of the item's watermark here (TransactWriteItems is authorised per action).
        Sid      = "WriteOrderingLedger"
        Effect   = "Allow"
        Action   = ["dynamodb:PutItem"]
        Resource = [aws_dynamodb_table.ledger.arn]
      },
      {
        # Belt and braces beside the pattern check in code: never write to the live table.
        Sid      = "NeverWriteSourceTable"
        Effect   = "Deny"
        Action   = local.item_write_actions
        Resource = [local.source_table_arn, "${local.source_table_arn}/index/*"]
      },
    ],
    local.kms_statements,
  )
}

locals {
  replay_writer_function = {
    description = "replays buffered changes of the source table into the restored table"
    memory_size = var.replay_writer.memory_size
    timeout     = var.replay_writer.timeout
    environment = {
      RESTORE_RECORD_PARAMETER    = local.restore_record_parameter
      SOURCE_TABLE_NAME           = var.source_table_name
      TARGET_TABLE_NAME_PATTERN   = local.target_table_name_pattern
      LEDGER_TABLE                = aws_dynamodb_table.ledger.name
      RECORD_CACHE_SECONDS        = tostring(var.replay_writer.record_cache_seconds)
      REPLAY_START_MARGIN_SECONDS = tostring(var.replay_writer.replay_start_margin_seconds)
    }
    policy_statements = local.replay_writer_statements
  }
}

resource "aws_lambda_event_source_mapping" "replay" {
  event_source_arn        = aws_sqs_queue.buffer.arn
  function_name           = module.data_path_function["replay_writer"].function_arn
  batch_size              = var.replay_writer.batch_size
  function_response_types = ["ReportBatchItemFailures"]
  # Created disabled: the restore workflow enables it when the restored table is ACTIVE and disables
  # it at cut-over.
  enabled = false

  scaling_config {
    maximum_concurrency = var.replay_writer.maximum_concurrency
  }

  tags = local.tags

  lifecycle {
    # An apply during a restore must never switch replay off (or on).
    ignore_changes = [enabled]
  }
}

################################################################################
# Alarms: anything here may mean a lost or late change
################################################################################

locals {
  alarms = {
    subscriber-errors = {
      description = "The cdc subscriber of ${var.source_table_name} failed: changes are retried from the stream, and lost if they stay unbuffered for 24 h."
      namespace   = "AWS/Lambda"
      metric      = "Errors"
      statistic   = "Sum"
      dimensions  = { FunctionName = local.function_names.cdc_subscriber }
      threshold   = 0
      periods     = 1
    }
    subscriber-failed-sends = {
      description = "The cdc subscriber of ${var.source_table_name} could not buffer changes for 5 minutes (it reports them for retry rather than failing): check its logs; the stream holds them for 24 h."
      namespace   = local.metrics_namespace
      metric      = "FailedSends"
      statistic   = "Sum"
      dimensions  = { SourceTable = var.source_table_name }
      threshold   = 0
      periods     = 5
    }
    stream-iterator-age = {
      description = "Changes of ${var.source_table_name} wait in the stream longer than ${var.cdc_subscriber.iterator_age_alarm_seconds} s before reaching the buffer; at 24 h they are lost."
      namespace   = "AWS/Lambda"
      metric      = "IteratorAge"
      statistic   = "Maximum"
      dimensions  = { FunctionName = local.function_names.cdc_subscriber }
      threshold   = var.cdc_subscriber.iterator_age_alarm_seconds * 1000
      periods     = 3
    }
    stream-failures = {
      description = "Stream records of ${var.source_table_name} could not be buffered (on-failure destination): coverage is broken from their time; a restore replaying across it reports a gap."
      namespace   = "AWS/SQS"
      metric      = "ApproximateNumberOfMessagesVisible"
      statistic   = "Maximum"
      dimensions  = { QueueName = aws_sqs_queue.stream_failures.name }
      threshold   = 0
      periods     = 1
    }
    buffer-dead-letters = {
      description = "Buffered changes of ${var.source_table_name} failed to replay ${var.replay_writer.max_receive_count} times and moved to the dead-letter queue: their items may be out of date in the restored table."
      namespace   = "AWS/SQS"
      metric      = "ApproximateNumberOfMessagesVisible"
      statistic   = "Maximum"
      dimensions  = { QueueName = aws_sqs_queue.buffer_dlq.name }
      threshold   = 0
      periods     = 1
    }
    replay-errors = {
      description = "The replay writer of ${var.source_table_name} failed whole batches: see its logs (no active restore, target refused, throttling)."
      namespace   = "AWS/Lambda"
      metric      = "Errors"
      statistic   = "Sum"
      dimensions  = { FunctionName = local.function_names.replay_writer }
      threshold   = 0
      periods     = 1
    }
    replay-guard-failures = {
      description = "The replay writer of ${var.source_table_name} could not write changes together with their watermark in the ordering ledger ${local.ledger_table_name} (missing table, access denied, key or validation error): those changes stay in the buffer and reach the dead-letter queue if it persists. Check the writer's logs for 'ordering guard cannot write'."
      namespace   = local.metrics_namespace
      metric      = "GuardFailures"
      statistic   = "Sum"
      dimensions  = { SourceTable = var.source_table_name }
      threshold   = 0
      periods     = 1
    }
    replay-lag = {
      description = "Replay into the restored table of ${var.source_table_name} lags more than ${var.replay_writer.lag_alarm_seconds} s behind the source."
      namespace   = local.metrics_namespace
      metric      = "ReplayLagSeconds"
      statistic   = "Maximum"
      dimensions  = { SourceTable = var.source_table_name }
      threshold   = var.replay_writer.lag_alarm_seconds
      periods     = 5
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "cdc_buffer" {
  for_each = local.alarms

  alarm_name          = "${local.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  statistic           = each.value.statistic
  dimensions          = each.value.dimensions
  period              = local.metric_period_seconds
  evaluation_periods  = each.value.periods
  datapoints_to_alarm = each.value.periods
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanThreshold"
  # No data means no invocations or an empty queue: nothing is wrong.
  treat_missing_data = "notBreaching"
  alarm_actions      = [local.topic_arn_ref]
  ok_actions         = [local.topic_arn_ref]
  tags               = local.tags
}

################################################################################
# Manifest entries: queues, dead-letter and failure queues, spill bucket, functions, mappings and
# buffer retention values
################################################################################

locals {
  cdc_buffer_manifest = {
    buffer_queue_url                 = aws_sqs_queue.buffer.url
    buffer_queue_arn                 = aws_sqs_queue.buffer.arn
    buffer_dlq_url                   = aws_sqs_queue.buffer_dlq.url
    buffer_dlq_arn                   = aws_sqs_queue.buffer_dlq.arn
    stream_failure_queue_url         = aws_sqs_queue.stream_failures.url
    stream_failure_queue_arn         = aws_sqs_queue.stream_failures.arn
    spill_bucket                     = aws_s3_bucket.spill.bucket
    ledger_table_name                = aws_dynamodb_table.ledger.name
    subscriber_function_name         = module.data_path_function["cdc_subscriber"].function_name
    subscriber_function_arn          = module.data_path_function["cdc_subscriber"].function_arn
    replay_writer_function_name      = module.data_path_function["replay_writer"].function_name
    replay_writer_function_arn       = module.data_path_function["replay_writer"].function_arn
    stream_mapping_uuid              = aws_lambda_event_source_mapping.stream.uuid
    replay_mapping_uuid              = aws_lambda_event_source_mapping.replay.uuid
    buffer_standby_retention_seconds = var.buffer_standby_retention_seconds
    buffer_restore_retention_seconds = local.sqs_max_retention_seconds
    metrics_namespace                = local.metrics_namespace
  }
}
