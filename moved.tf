# Upgrading from the layout with feature modules (modules/cdc_buffer, modules/restore_watcher,
# modules/settings_sync), folded into the root's cdc_buffer.tf, restore_workflow.tf and
# settings_sync.tf: every former address moves to its new one, so an existing deployment plans no
# replacement. tests/test_moved.py checks that every former address has its block here.

################################################################################
# Change capture and replay (was module.cdc_buffer, modules/cdc_buffer)
################################################################################

moved {
  from = module.cdc_buffer.aws_sqs_queue.buffer_dlq
  to   = aws_sqs_queue.buffer_dlq
}

moved {
  from = module.cdc_buffer.aws_sqs_queue.buffer
  to   = aws_sqs_queue.buffer
}

moved {
  from = module.cdc_buffer.aws_sqs_queue.stream_failures
  to   = aws_sqs_queue.stream_failures
}

moved {
  from = module.cdc_buffer.aws_sqs_queue_policy.tls_only
  to   = aws_sqs_queue_policy.tls_only
}

moved {
  from = module.cdc_buffer.aws_s3_bucket.spill
  to   = aws_s3_bucket.spill
}

moved {
  from = module.cdc_buffer.aws_s3_bucket_public_access_block.spill
  to   = aws_s3_bucket_public_access_block.spill
}

moved {
  from = module.cdc_buffer.aws_s3_bucket_ownership_controls.spill
  to   = aws_s3_bucket_ownership_controls.spill
}

moved {
  from = module.cdc_buffer.aws_s3_bucket_server_side_encryption_configuration.spill
  to   = aws_s3_bucket_server_side_encryption_configuration.spill
}

moved {
  from = module.cdc_buffer.aws_s3_bucket_lifecycle_configuration.spill
  to   = aws_s3_bucket_lifecycle_configuration.spill
}

moved {
  from = module.cdc_buffer.aws_s3_bucket_policy.spill
  to   = aws_s3_bucket_policy.spill
}

moved {
  from = module.cdc_buffer.aws_dynamodb_table.ledger
  to   = aws_dynamodb_table.ledger
}

moved {
  from = module.cdc_buffer.module.subscriber
  to   = module.data_path_function["cdc_subscriber"]
}

moved {
  from = module.cdc_buffer.aws_lambda_event_source_mapping.stream
  to   = aws_lambda_event_source_mapping.stream
}

moved {
  from = module.cdc_buffer.module.replay_writer
  to   = module.data_path_function["replay_writer"]
}

moved {
  from = module.cdc_buffer.aws_lambda_event_source_mapping.replay
  to   = aws_lambda_event_source_mapping.replay
}

moved {
  from = module.cdc_buffer.aws_cloudwatch_metric_alarm.this
  to   = aws_cloudwatch_metric_alarm.cdc_buffer
}

################################################################################
# Restore workflow (was module.restore_watcher, modules/restore_watcher)
################################################################################

moved {
  from = module.restore_watcher.aws_kms_key.notifications
  to   = aws_kms_key.notifications
}

moved {
  from = module.restore_watcher.aws_kms_alias.notifications
  to   = aws_kms_alias.notifications
}

moved {
  from = module.restore_watcher.aws_sns_topic.notifications
  to   = aws_sns_topic.notifications
}

moved {
  from = module.restore_watcher.aws_sns_topic_policy.notifications
  to   = aws_sns_topic_policy.notifications
}

moved {
  from = module.restore_watcher.aws_sns_topic_subscription.email
  to   = aws_sns_topic_subscription.email
}

moved {
  from = module.restore_watcher.module.waiter
  to   = module.workflow_function["restore_waiter"]
}

moved {
  from = module.restore_watcher.module.steps
  to   = module.workflow_function["restore_steps"]
}

moved {
  from = module.restore_watcher.aws_cloudwatch_log_group.workflow
  to   = aws_cloudwatch_log_group.workflow
}

moved {
  from = module.restore_watcher.aws_iam_role.workflow
  to   = aws_iam_role.workflow
}

moved {
  from = module.restore_watcher.aws_iam_role_policy.workflow
  to   = aws_iam_role_policy.workflow
}

moved {
  from = module.restore_watcher.aws_sfn_state_machine.this
  to   = aws_sfn_state_machine.this
}

moved {
  from = module.restore_watcher.aws_cloudwatch_event_rule.restore_requested
  to   = aws_cloudwatch_event_rule.restore_requested
}

moved {
  from = module.restore_watcher.aws_iam_role.rule
  to   = aws_iam_role.rule
}

moved {
  from = module.restore_watcher.aws_iam_role_policy.rule
  to   = aws_iam_role_policy.rule
}

moved {
  from = module.restore_watcher.aws_cloudwatch_event_target.workflow
  to   = aws_cloudwatch_event_target.workflow
}

moved {
  from = module.restore_watcher.aws_sqs_queue.trigger_dead_letters
  to   = aws_sqs_queue.trigger_dead_letters
}

moved {
  from = module.restore_watcher.aws_sqs_queue_policy.trigger_dead_letters
  to   = aws_sqs_queue_policy.trigger_dead_letters
}

moved {
  from = module.restore_watcher.aws_cloudwatch_event_rule.execution_ended
  to   = aws_cloudwatch_event_rule.execution_ended
}

moved {
  from = module.restore_watcher.aws_cloudwatch_event_target.release
  to   = aws_cloudwatch_event_target.release
}

moved {
  from = module.restore_watcher.aws_lambda_permission.release
  to   = aws_lambda_permission.release
}

moved {
  from = module.restore_watcher.aws_cloudwatch_metric_alarm.executions
  to   = aws_cloudwatch_metric_alarm.executions
}

moved {
  from = module.restore_watcher.aws_cloudwatch_metric_alarm.trigger_failed
  to   = aws_cloudwatch_metric_alarm.trigger_failed
}

################################################################################
# Settings copy (was module.settings_sync, modules/settings_sync)
################################################################################

moved {
  from = module.settings_sync.module.function
  to   = module.workflow_function["settings_sync"]
}
