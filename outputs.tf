output "source_table_arn" {
  description = "ARN of the protected source table."
  value       = local.source_table_arn
}

output "source_stream_arn" {
  description = "ARN of the source table's stream that the module reads."
  value       = local.source_stream_arn
}

output "name_prefix" {
  description = "Prefix of every resource name the module creates."
  value       = local.name_prefix
}

output "target_table_name_pattern" {
  description = "Glob a restored table's name must match for the module to act on it."
  value       = local.target_table_name_pattern
}

output "manifest_parameter_name" {
  description = "SSM parameter holding the deployment manifest (JSON); pitrctl finds the deployment through it."
  value       = aws_ssm_parameter.manifest.name
}

output "restore_record_parameter_name" {
  description = "SSM parameter the restore workflow writes while a restore is in flight (absent when idle)."
  value       = local.restore_record_parameter
}

output "settings_sync_function_name" {
  description = "Name of the settings_sync function (copies the settings a restore drops)."
  value       = module.workflow_function["settings_sync"].function_name
}

output "settings_sync_function_arn" {
  description = "ARN of the settings_sync function."
  value       = module.workflow_function["settings_sync"].function_arn
}

output "notification_topic_arn" {
  description = "SNS topic receiving restore notifications and alarms."
  value       = local.topic_arn
}

output "state_machine_arn" {
  description = "ARN of the restore workflow (Step Functions); pitrctl starts and answers it."
  value       = aws_sfn_state_machine.this.arn
}

################################################################################
# Change capture and replay
################################################################################

output "buffer_queue_url" {
  description = "URL of the SQS FIFO buffer holding the source table's changes."
  value       = aws_sqs_queue.buffer.url
}

output "buffer_standby_retention_seconds" {
  description = "Retention of the buffer while no restore is in flight."
  value       = var.buffer_standby_retention_seconds
}

output "replay_mapping_uuid" {
  description = "UUID of the replay writer's event source mapping (disabled except during a restore)."
  value       = aws_lambda_event_source_mapping.replay.uuid
}

output "stream_mapping_uuid" {
  description = "UUID of the stream event source mapping feeding the cdc subscriber."
  value       = aws_lambda_event_source_mapping.stream.uuid
}

################################################################################
# Queues, functions, dashboard and security summary
################################################################################

output "buffer_queue_arn" {
  description = "ARN of the SQS FIFO buffer holding the source table's changes."
  value       = aws_sqs_queue.buffer.arn
}

output "buffer_dlq_url" {
  description = "URL of the buffer's FIFO dead-letter queue: changes that failed to replay max_receive_count times (alarmed)."
  value       = aws_sqs_queue.buffer_dlq.url
}

output "buffer_dlq_arn" {
  description = "ARN of the buffer's FIFO dead-letter queue."
  value       = aws_sqs_queue.buffer_dlq.arn
}

output "stream_failure_queue_url" {
  description = "URL of the stream mapping's on-failure queue: stream records that could not be buffered (coverage is broken from their time; alarmed)."
  value       = aws_sqs_queue.stream_failures.url
}

output "stream_failure_queue_arn" {
  description = "ARN of the stream mapping's on-failure queue."
  value       = aws_sqs_queue.stream_failures.arn
}

output "spill_bucket_name" {
  description = "S3 bucket holding change bodies too large for SQS (objects expire after 29 days)."
  value       = aws_s3_bucket.spill.bucket
}

output "function_names" {
  description = "Names of every Lambda function the module creates, by the module of the pitr package each runs: cdc_subscriber, replay_writer, settings_sync, restore_waiter, restore_steps."
  value       = { for module, function in local.functions : module => function.function_name }
}

output "restore_rule_name" {
  description = "EventBridge rule that starts the restore workflow on a successful RestoreTableToPointInTime of the source table."
  value       = local.rule_name
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard showing the pipeline (null when create_dashboard is false)."
  value       = try(aws_cloudwatch_dashboard.this[0].dashboard_name, null)
}

output "security_summary" {
  description = "What each part is encrypted with and where each function runs (queue, bucket, topic, workflow and log group keys; function VPC subnets and security groups), for security reviews and policy checks."
  value = {
    cdc_buffer = {
      queue_kms_keys = { for name, queue in local.queues : name => queue.kms_master_key_id }
      ledger_kms_key = aws_dynamodb_table.ledger.server_side_encryption[0].kms_key_arn
      spill_kms_keys = [for rule in aws_s3_bucket_server_side_encryption_configuration.spill.rule : rule.apply_server_side_encryption_by_default[0].kms_master_key_id]
      functions      = { subscriber = module.data_path_function["cdc_subscriber"].security, replay_writer = module.data_path_function["replay_writer"].security }
    }
    settings_sync = {
      functions = { settings_sync = module.workflow_function["settings_sync"].security }
    }
    restore_workflow = {
      topic_arn              = local.topic_arn
      topic_kms_key          = local.topic_key_arn
      workflow_kms_key       = try(one(aws_sfn_state_machine.this.encryption_configuration[*].kms_key_id), null)
      workflow_log_group_key = aws_cloudwatch_log_group.workflow.kms_key_id
      steps_policy           = module.workflow_function["restore_steps"].policy
      functions              = { waiter = module.workflow_function["restore_waiter"].security, steps = module.workflow_function["restore_steps"].security }
    }
  }
}

output "rendered" {
  description = "What AWS checks only at apply or at run time, as the module renders it: each function's description, package and role policy, the workflow definition and role policy, the created topic's policy, the manifest with its length and tier. For tests and policy reviews."
  value = {
    functions = { for module, function in local.functions : module => function.settings }
    workflow = {
      definition   = local.workflow_definition
      policy       = jsonencode(local.workflow_policy)
      topic_policy = local.create_topic ? jsonencode(local.topic_policy) : null
    }
    manifest        = local.manifest_json
    manifest_length = length(local.manifest_json)
    manifest_tier   = local.manifest_tier
  }
}
