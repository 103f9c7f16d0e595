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
