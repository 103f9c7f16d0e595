output "source_table_arn" {
  description = "ARN of the protected source table."
  value       = local.source_table_arn
}

output "source_stream_arn" {
  description = "ARN of the source table's stream that the module reads."
  value       = local.source_stream
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
  value       = module.settings_sync.function_name
}

output "settings_sync_function_arn" {
  description = "ARN of the settings_sync function."
  value       = module.settings_sync.function_arn
}

output "notification_topic_arn" {
  description = "SNS topic receiving restore notifications and alarms."
  value       = module.restore_watcher.topic_arn
}

output "state_machine_arn" {
  description = "ARN of the restore workflow (Step Functions); pitrctl starts and answers it."
  value       = module.restore_watcher.state_machine_arn
}

################################################################################
# cdc_buffer
################################################################################

output "buffer_queue_url" {
  description = "URL of the SQS FIFO buffer holding the source table's changes."
  value       = module.cdc_buffer.buffer_queue_url
}

output "buffer_standby_retention_seconds" {
  description = "Retention of the buffer while no restore is in flight."
  value       = module.cdc_buffer.buffer_standby_retention_seconds
}

output "replay_mapping_uuid" {
  description = "UUID of the replay writer's event source mapping (disabled except during a restore)."
  value       = module.cdc_buffer.replay_mapping_uuid
}

output "stream_mapping_uuid" {
  description = "UUID of the stream event source mapping feeding the cdc subscriber."
  value       = module.cdc_buffer.stream_mapping_uuid
}

################################################################################
# Queues, functions, dashboard and security summary
################################################################################

output "buffer_queue_arn" {
  description = "ARN of the SQS FIFO buffer holding the source table's changes."
  value       = module.cdc_buffer.buffer_queue_arn
}

output "buffer_dlq_url" {
  description = "URL of the buffer's FIFO dead-letter queue: changes that failed to replay max_receive_count times (alarmed)."
  value       = module.cdc_buffer.manifest.buffer_dlq_url
}

output "buffer_dlq_arn" {
  description = "ARN of the buffer's FIFO dead-letter queue."
  value       = module.cdc_buffer.manifest.buffer_dlq_arn
}

output "stream_failure_queue_url" {
  description = "URL of the stream mapping's on-failure queue: stream records that could not be buffered (coverage is broken from their time; alarmed)."
  value       = module.cdc_buffer.manifest.stream_failure_queue_url
}

output "stream_failure_queue_arn" {
  description = "ARN of the stream mapping's on-failure queue."
  value       = module.cdc_buffer.manifest.stream_failure_queue_arn
}

output "spill_bucket_name" {
  description = "S3 bucket holding change bodies too large for SQS (objects expire after 14 days)."
  value       = module.cdc_buffer.manifest.spill_bucket
}

output "function_names" {
  description = "Names of every Lambda function the module creates, by role: cdc_subscriber, replay_writer, settings_sync, restore_waiter, restore_steps."
  value = {
    cdc_subscriber = module.cdc_buffer.subscriber_function_name
    replay_writer  = module.cdc_buffer.replay_writer_function_name
    settings_sync  = module.settings_sync.function_name
    restore_waiter = module.restore_watcher.manifest.waiter_function_name
    restore_steps  = module.restore_watcher.manifest.steps_function_name
  }
}

output "restore_rule_name" {
  description = "EventBridge rule that starts the restore workflow on a successful RestoreTableToPointInTime of the source table."
  value       = module.restore_watcher.manifest.rule_name
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard showing the pipeline (null when create_dashboard is false)."
  value       = try(aws_cloudwatch_dashboard.this[0].dashboard_name, null)
}

output "security_summary" {
  description = "What each part is encrypted with and where each function runs (queue, bucket, topic, workflow and log group keys; function VPC subnets and security groups), for security reviews and policy checks."
  value = {
    cdc_buffer      = module.cdc_buffer.security
    settings_sync   = module.settings_sync.security
    restore_watcher = module.restore_watcher.security
  }
}

output "rendered" {
  description = "What AWS checks only at apply or at run time, as the module renders it: each function's description, package and role policy, the workflow definition and role policy, the created topic's policy, the manifest's length and tier. For tests and policy reviews."
  value = {
    functions       = merge(module.cdc_buffer.functions, module.settings_sync.functions, module.restore_watcher.functions)
    workflow        = module.restore_watcher.workflow
    manifest_length = length(local.manifest_json)
    manifest_tier   = local.manifest_tier
  }
}
