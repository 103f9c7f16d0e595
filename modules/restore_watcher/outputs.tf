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

output "execution_ended" {
  description = "The rule that releases a restore whose execution ended without its Catch: its name, pattern (JSON) and input transformer."
  value = {
    rule_name      = local.execution_ended_rule_name
    event_pattern  = aws_cloudwatch_event_rule.execution_ended.event_pattern
    input_paths    = local.execution_ended.input_paths
    input_template = local.execution_ended.input_template
  }
}

output "manifest" {
  description = "This module's entries of the deployment manifest."
  value = {
    # Built from names (known at plan), not read from the resources, so the manifest is known at plan.
    state_machine_arn         = local.state_machine_arn
    state_machine_name        = local.state_machine_name
    waiter_function_name      = local.waiter_function_name
    waiter_function_arn       = "${local.function_arn_prefix}:${local.waiter_function_name}"
    steps_function_name       = local.steps_function_name
    steps_function_arn        = "${local.function_arn_prefix}:${local.steps_function_name}"
    topic_arn                 = local.topic_arn
    rule_name                 = local.rule_name
    trigger_dead_letter_queue = "${var.name_prefix}-restore-trigger-dlq"
    coverage_parameter        = var.coverage_parameter
    restore_record_parameter  = var.restore_record_parameter
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

output "security" {
  description = "Encryption of the notification topic, the workflow and its log group, and each function's encryption and VPC placement, for security reviews and tests."
  value = {
    topic_arn              = local.topic_arn
    topic_kms_key          = local.topic_key_arn
    workflow_kms_key       = try(one(aws_sfn_state_machine.this.encryption_configuration[*].kms_key_id), null)
    workflow_log_group_key = aws_cloudwatch_log_group.workflow.kms_key_id
    steps_policy           = module.steps.policy
    functions              = { waiter = module.waiter.security, steps = module.steps.security }
  }
}

output "functions" {
  description = "Each function's description, package and role policy as rendered (lambda_function's settings), for tests and reviews."
  value = {
    restore_waiter = module.waiter.settings
    restore_steps  = module.steps.settings
  }
}

output "workflow" {
  description = "The workflow definition, the workflow role's policy and the created topic's policy as rendered, for tests and reviews."
  value = {
    definition   = local.workflow_definition
    policy       = jsonencode(local.workflow_policy)
    topic_policy = local.create_topic ? jsonencode(local.topic_policy) : null
  }
}
