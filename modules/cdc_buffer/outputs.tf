output "buffer_queue_url" {
  description = "URL of the FIFO buffer queue."
  value       = aws_sqs_queue.buffer.url
}

output "buffer_queue_arn" {
  description = "ARN of the FIFO buffer queue."
  value       = aws_sqs_queue.buffer.arn
}

output "stream_failure_queue_url" {
  description = "URL of the stream mapping's on-failure destination (standard SQS queue): its records break coverage, and the restore workflow reads them without consuming them."
  value       = aws_sqs_queue.stream_failures.url
}

output "stream_failure_queue_arn" {
  description = "ARN of the stream mapping's on-failure destination queue."
  value       = aws_sqs_queue.stream_failures.arn
}

output "buffer_standby_retention_seconds" {
  description = "Retention of the buffer while no restore is in flight; the restore workflow sets it back to this value at release."
  value       = var.buffer_standby_retention_seconds
}

output "stream_mapping_uuid" {
  description = "UUID of the stream event source mapping feeding the subscriber."
  value       = aws_lambda_event_source_mapping.stream.uuid
}

output "replay_mapping_uuid" {
  description = "UUID of the SQS event source mapping feeding the replay writer (created disabled)."
  value       = aws_lambda_event_source_mapping.replay.uuid
}

output "subscriber_function_name" {
  description = "Name of the cdc subscriber function."
  value       = module.subscriber.function_name
}

output "replay_writer_function_name" {
  description = "Name of the replay writer function."
  value       = module.replay_writer.function_name
}

output "subscriber_policy" {
  description = "The subscriber role's inline policy (JSON), for tests and reviews."
  value       = module.subscriber.policy
}

output "replay_writer_policy" {
  description = "The replay writer role's inline policy (JSON), for tests and reviews."
  value       = module.replay_writer.policy
}

output "manifest" {
  description = "This module's entries of the deployment manifest: queues, dead-letter and failure queues, spill bucket, functions, mapping UUIDs and buffer retention values."
  value = {
    buffer_queue_url                 = aws_sqs_queue.buffer.url
    buffer_queue_arn                 = aws_sqs_queue.buffer.arn
    buffer_dlq_url                   = aws_sqs_queue.buffer_dlq.url
    buffer_dlq_arn                   = aws_sqs_queue.buffer_dlq.arn
    stream_failure_queue_url         = aws_sqs_queue.stream_failures.url
    stream_failure_queue_arn         = aws_sqs_queue.stream_failures.arn
    spill_bucket                     = aws_s3_bucket.spill.bucket
    ledger_table_name                = aws_dynamodb_table.ledger.name
    subscriber_function_name         = module.subscriber.function_name
    subscriber_function_arn          = module.subscriber.function_arn
    replay_writer_function_name      = module.replay_writer.function_name
    replay_writer_function_arn       = module.replay_writer.function_arn
    stream_mapping_uuid              = aws_lambda_event_source_mapping.stream.uuid
    replay_mapping_uuid              = aws_lambda_event_source_mapping.replay.uuid
    buffer_standby_retention_seconds = var.buffer_standby_retention_seconds
    buffer_restore_retention_seconds = local.restore_retention_seconds
    metrics_namespace                = "DynamoDBPitrRestore"
  }
}

output "security" {
  description = "Encryption of the queues and the spill bucket, and each function's encryption and VPC placement, for security reviews and tests."
  value = {
    queue_kms_keys = { for name, queue in local.queues : name => queue.kms_master_key_id }
    ledger_kms_key = aws_dynamodb_table.ledger.server_side_encryption[0].kms_key_arn
    spill_kms_keys = [for rule in aws_s3_bucket_server_side_encryption_configuration.spill.rule : rule.apply_server_side_encryption_by_default[0].kms_master_key_id]
    functions      = { subscriber = module.subscriber.security, replay_writer = module.replay_writer.security }
  }
}

output "functions" {
  description = "Each function's description, package and role policy as rendered (lambda_function's settings), for tests and reviews."
  value = {
    cdc_subscriber = module.subscriber.settings
    replay_writer  = module.replay_writer.settings
  }
}

output "ledger_table_name" {
  description = "Name of the ordering guard's ledger table (per restore and item, the newest change replay wrote)."
  value       = aws_dynamodb_table.ledger.name
}

output "ledger_table_arn" {
  description = "ARN of the ordering guard's ledger table."
  value       = aws_dynamodb_table.ledger.arn
}
