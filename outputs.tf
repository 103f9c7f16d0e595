output "source_table_arn" {
  description = "ARN of the source table."
  value       = local.source_table_arn
}

output "source_stream_arn" {
  description = "ARN of the source table's stream."
  value       = local.source_stream_arn
}

output "name_prefix" {
  description = "Prefix of every resource name."
  value       = local.name_prefix
}

output "target_table_name_pattern" {
  description = "Glob a restored table's name must match."
  value       = local.target_table_name_pattern
}

output "manifest_parameter_name" {
  description = "SSM parameter of the deployment manifest (JSON)."
  value       = aws_ssm_parameter.manifest.name
}

output "restore_record_parameter_name" {
  description = "SSM parameter of the restore record (absent when idle)."
  value       = local.restore_record_parameter
}

output "settings_sync_function_name" {
  description = "Name of the settings_sync function."
  value       = module.workflow_function["settings_sync"].function_name
}

output "settings_sync_function_arn" {
  description = "ARN of the settings_sync function."
  value       = module.workflow_function["settings_sync"].function_arn
}

output "notification_topic_arn" {
  description = "SNS topic of the notifications and alarms."
  value       = local.topic_arn
}

output "state_machine_arn" {
  description = "ARN of the restore workflow's state machine."
  value       = aws_sfn_state_machine.this.arn
}

################################################################################
# Change capture and replay
################################################################################

output "buffer_queue_url" {
  description = "URL of the FIFO buffer."
  value       = aws_sqs_queue.buffer.url
}

output "buffer_standby_retention_seconds" {
  description = "Retention of the buffer while idle, in seconds."
  value       = var.buffer_standby_retention_seconds
}

output "replay_mapping_uuid" {
  description = "UUID of the replay mapping (enabled only during a restore)."
  value       = aws_lambda_event_source_mapping.replay.uuid
}

output "stream_mapping_uuid" {
  description = "UUID of the stream mapping."
  value       = aws_lambda_event_source_mapping.stream.uuid
}

################################################################################
# Queues, functions, dashboard and security summary
################################################################################

output "buffer_queue_arn" {
  description = "ARN of the FIFO buffer."
  value       = aws_sqs_queue.buffer.arn
}

output "buffer_dlq_url" {
  description = "URL of the buffer's dead-letter queue."
  value       = aws_sqs_queue.buffer_dlq.url
}

output "buffer_dlq_arn" {
  description = "ARN of the buffer's dead-letter queue."
  value       = aws_sqs_queue.buffer_dlq.arn
}

output "stream_failure_queue_url" {
  description = "URL of the queue of stream records that could not be buffered."
  value       = aws_sqs_queue.stream_failures.url
}

output "stream_failure_queue_arn" {
  description = "ARN of the stream failure queue."
  value       = aws_sqs_queue.stream_failures.arn
}

output "spill_bucket_name" {
  description = "S3 bucket of changes too large for SQS."
  value       = aws_s3_bucket.spill.bucket
}

output "function_names" {
  description = "Name of each function, by the pitr module it runs."
  value       = { for module, function in local.functions : module => function.function_name }
}

output "restore_rule_name" {
  description = "EventBridge rule that starts the restore workflow."
  value       = local.rule_name
}

output "dashboard_name" {
  description = "Name of the dashboard (null without create_dashboard)."
  value       = try(aws_cloudwatch_dashboard.this[0].dashboard_name, null)
}

output "security_summary" {
  description = "Key of every encrypted part and VPC placement of every function."
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
  description = "What AWS checks only at apply or run time (policies, workflow definition, manifest), for tests and reviews."
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
