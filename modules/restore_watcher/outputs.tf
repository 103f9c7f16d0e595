output "topic_arn" {
  description = "ARN of the SNS topic for notifications and alarms."
  value       = local.topic_arn
}

output "state_machine_arn" {
  description = "ARN of the restore workflow (Step Functions state machine)."
  value       = aws_sfn_state_machine.this.arn
}

output "event_pattern" {
  description = "The EventBridge pattern that starts the workflow (JSON)."
  value       = local.event_pattern
}

output "manifest" {
  description = "This module's entries of the deployment manifest."
  value = {
    state_machine_arn        = aws_sfn_state_machine.this.arn
    state_machine_name       = aws_sfn_state_machine.this.name
    waiter_function_name     = module.waiter.function_name
    waiter_function_arn      = module.waiter.function_arn
    steps_function_name      = module.steps.function_name
    steps_function_arn       = module.steps.function_arn
    topic_arn                = local.topic_arn
    rule_name                = aws_cloudwatch_event_rule.restore_requested.name
    coverage_parameter       = var.coverage_parameter
    restore_record_parameter = var.restore_record_parameter
    settings = {
      max_restore_wait_seconds         = local.max_restore_wait_seconds
      active_poll_cap_seconds          = var.active_poll_cap_seconds
      caught_up_lag_seconds            = var.caught_up_lag_seconds
      cutover_reminder_hours           = var.cutover_reminder_hours
      drain_quiet_seconds              = var.drain_quiet_seconds
      buffer_standby_retention_seconds = var.buffer_standby_retention_seconds
      buffer_restore_retention_seconds = 1209600
      settings                         = var.settings
    }
  }
}
