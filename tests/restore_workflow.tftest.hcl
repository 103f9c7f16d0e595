# restore_workflow.tf: the rule's pattern, IAM scoping, notification wiring and the workflow settings.

# What AWS names the state machine and the created topic (the module builds the same ARNs from their
# names, for the manifest) is in tests/mocks/names.tfmock.hcl.
mock_provider "aws" {
  source = "./tests/mocks"
}

run "rule_matches_successful_restores_of_this_table_only" {
  command = plan

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.restore_requested.event_pattern)["detail-type"] == ["AWS API Call via CloudTrail"]
    error_message = "the rule listens to CloudTrail API calls"
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.restore_requested.event_pattern).source == ["aws.dynamodb"]
    error_message = "source aws.dynamodb"
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.restore_requested.event_pattern).detail.eventName == ["RestoreTableToPointInTime"]
    error_message = "only RestoreTableToPointInTime"
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.restore_requested.event_pattern).detail.errorCode == [{ exists = false }]
    error_message = "only successful calls (no errorCode)"
  }
  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.restore_requested.event_pattern).detail["$or"] == [
      { requestParameters = { sourceTableName = ["orders", "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"] } },
      { requestParameters = { sourceTableArn = ["arn:aws:dynamodb:eu-west-1:123456789012:table/orders"] } },
    ]
    error_message = "the source table by exact name or exact ARN"
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.restore_requested.event_pattern).account == ["123456789012"] && jsondecode(aws_cloudwatch_event_rule.restore_requested.event_pattern).region == ["eu-west-1"]
    error_message = "same account and region only (events forwarded from elsewhere do not match)"
  }
  assert {
    condition     = local.event_pattern == aws_cloudwatch_event_rule.restore_requested.event_pattern
    error_message = "the rule uses the rendered template (the Python tests evaluate the same template)"
  }
}

run "workflow_settings_and_iam_scoping" {
  command = apply

  assert {
    condition     = aws_cloudwatch_event_target.workflow.arn == aws_sfn_state_machine.this.arn && aws_cloudwatch_event_target.workflow.role_arn == aws_iam_role.rule.arn
    error_message = "the rule targets the workflow through its own role"
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.rule.policy).Statement == [{ Sid = "StartRestoreWorkflow", Effect = "Allow", Action = ["states:StartExecution"], Resource = [aws_sfn_state_machine.this.arn] }]
    error_message = "the rule's role may only start this workflow"
  }
  assert {
    condition     = aws_sfn_state_machine.this.type == "STANDARD"
    error_message = "Standard workflow (long restores, callback tasks)"
  }
  assert {
    condition     = aws_sfn_state_machine.this.tracing_configuration[0].enabled && aws_sfn_state_machine.this.logging_configuration[0].include_execution_data == false && aws_sfn_state_machine.this.logging_configuration[0].level == "ERROR"
    error_message = "tracing on, logging on without execution data (task tokens)"
  }
  assert {
    condition     = jsondecode(aws_sfn_state_machine.this.definition).StartAt == "Init" && jsondecode(aws_sfn_state_machine.this.definition).States.AwaitCutover.HeartbeatSeconds == 86400
    error_message = "the definition is the rendered template, with the reminder every 24 h"
  }
  assert {
    condition     = aws_sfn_state_machine.this.definition == templatefile("./templates/workflow.asl.json.tftpl", local.workflow_values)
    error_message = "rendered with templatefile and local.workflow_values"
  }
  assert {
    condition     = jsonencode(sort(keys(local.workflow_values))) == jsonencode(["cutover_reminder_seconds", "partition", "settings_json", "settings_sync_function_arn", "source_table_name", "steps_function_arn", "stream_mapping_uuid", "waiter_function_arn"])
    error_message = "the template map must equal pitrctl.workflow.TEMPLATE_KEYS"
  }
  assert {
    condition = toset(jsondecode(aws_iam_role_policy.workflow.policy).Statement[0].Action) == toset(["lambda:InvokeFunction"]) && toset(jsondecode(aws_iam_role_policy.workflow.policy).Statement[0].Resource) == toset([
      module.workflow_function["restore_waiter"].function_arn, module.workflow_function["restore_steps"].function_arn, module.workflow_function["settings_sync"].function_arn,
      "${module.workflow_function["restore_waiter"].function_arn}:*", "${module.workflow_function["restore_steps"].function_arn}:*", "${module.workflow_function["settings_sync"].function_arn}:*",
    ])
    error_message = "the workflow invokes exactly its three functions"
  }
  assert {
    condition = [for s in jsondecode(module.workflow_function["restore_steps"].policy).Statement : s.Resource if s.Sid == "KeepRestoreRecordAndCoverage"][0] == [
      "arn:aws:ssm:eu-west-1:123456789012:parameter/dynamodb-pitr/orders/restore",
      "arn:aws:ssm:eu-west-1:123456789012:parameter/dynamodb-pitr/orders/coverage",
    ]
    error_message = "the steps function writes only the restore record and the coverage parameter"
  }
  assert {
    condition     = [for s in jsondecode(module.workflow_function["restore_steps"].policy).Statement : s.Resource if s.Sid == "SwitchReplay"][0] == ["arn:aws:lambda:eu-west-1:123456789012:event-source-mapping:aaaaaaaa-0000-4000-8000-000000000001"]
    error_message = "the steps function switches only the replay mapping"
  }
  assert {
    condition     = [for s in jsondecode(module.workflow_function["restore_steps"].policy).Statement : s.Resource if s.Sid == "SetBufferRetention"][0] == [aws_sqs_queue.buffer.arn]
    error_message = "retention changes only on the buffer"
  }
  assert {
    condition     = [for s in jsondecode(module.workflow_function["restore_waiter"].policy).Statement : s.Resource if s.Sid == "DescribeRestoredTables"][0] == ["arn:aws:dynamodb:eu-west-1:123456789012:table/orders-restored-*"]
    error_message = "the waiter describes only tables matching the target pattern"
  }
  assert {
    condition     = length([for s in concat(jsondecode(module.workflow_function["restore_waiter"].policy).Statement, jsondecode(module.workflow_function["restore_steps"].policy).Statement) : s if contains(s.Resource, "*") && !contains(["ReadReplayLag", "WriteTraces"], s.Sid)]) == 0
    error_message = "no wildcard resource beyond the APIs that require it"
  }
  assert {
    condition = [for s in jsondecode(module.workflow_function["restore_steps"].policy).Statement : { action = s.Action, resource = s.Resource } if anytrue([for a in s.Action : startswith(a, "dynamodb:")])] == [
      {
        action   = ["dynamodb:DescribeTable"]
        resource = [local.source_table_arn, "arn:aws:dynamodb:eu-west-1:123456789012:table/orders-restored-*", aws_dynamodb_table.ledger.arn]
      },
      {
        action   = ["dynamodb:UpdateTable"]
        resource = [aws_dynamodb_table.ledger.arn]
      },
    ]
    error_message = "the steps function only describes tables (replay sizing: source, target pattern, ledger), and changes only the ledger (its warm throughput)"
  }
}

run "waiter_peeks_the_stream_failure_queue_and_keeps_the_coverage_break" {
  command = plan

  assert {
    condition     = local.waiter_environment.STREAM_FAILURE_QUEUE_URL == aws_sqs_queue.stream_failures.url
    error_message = "the waiter gets the failure queue URL (plan_replay reads coverage breaks from it)"
  }
  assert {
    condition     = !strcontains(module.workflow_function["restore_steps"].policy, aws_sqs_queue.stream_failures.arn) && !contains(keys(local.common_environment), "STREAM_FAILURE_QUEUE_URL")
    error_message = "only the waiter reads the failure queue"
  }
  assert {
    condition = [for s in jsondecode(module.workflow_function["restore_waiter"].policy).Statement : s if s.Sid == "PeekStreamFailures"] == [{
      Sid      = "PeekStreamFailures"
      Effect   = "Allow"
      Action   = ["sqs:ReceiveMessage", "sqs:GetQueueAttributes"]
      Resource = [aws_sqs_queue.stream_failures.arn]
    }]
    error_message = "the waiter may receive (peek) and count messages of the failure queue only; never delete them"
  }
  assert {
    condition     = length([for s in jsondecode(module.workflow_function["restore_waiter"].policy).Statement : s if anytrue([for a in s.Action : contains(["sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:PurgeQueue"], a)])]) == 0
    error_message = "the waiter never consumes a failure record"
  }
  assert {
    condition     = [for s in jsondecode(module.workflow_function["restore_waiter"].policy).Statement : s.Resource if s.Sid == "KeepCoverageBreak"][0] == ["arn:aws:ssm:eu-west-1:123456789012:parameter/dynamodb-pitr/orders/coverage"]
    error_message = "the waiter writes only the coverage parameter"
  }
  assert {
    condition     = length([for s in jsondecode(module.workflow_function["restore_waiter"].policy).Statement : s if s.Sid == "DecryptStreamFailures"]) == 0
    error_message = "no key grant when the queues use SQS-managed keys"
  }
}

run "default_notifications_create_an_encrypted_topic_alarms_can_use" {
  command = apply

  variables {
    notification_emails = ["oncall@example.com"]
  }

  assert {
    condition     = length(aws_kms_key.notifications) == 1 && aws_sns_topic.notifications[0].kms_master_key_id == aws_kms_key.notifications[0].arn
    error_message = "a customer managed key is created for the topic when none is given"
  }
  assert {
    condition     = contains([for s in jsondecode(aws_kms_key.notifications[0].policy).Statement : s.Sid], "ServicesPublishToTheTopic") && contains(flatten([for s in jsondecode(aws_kms_key.notifications[0].policy).Statement : try(s.Principal.Service, [])]), "cloudwatch.amazonaws.com")
    error_message = "the key lets CloudWatch alarms publish"
  }
  assert {
    condition     = [for s in jsondecode(aws_sns_topic_policy.notifications[0].policy).Statement : s.Condition if s.Sid == "DenyInsecureTransport"][0] == { Bool = { "aws:SecureTransport" = "false" } }
    error_message = "the topic denies non-TLS access"
  }
  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.executions : a.alarm_actions == toset([aws_sns_topic.notifications[0].arn]) && a.dimensions.StateMachineArn == aws_sfn_state_machine.this.arn])
    error_message = "failed-execution alarms publish to the topic"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.executions["failed"].metric_name == "ExecutionsFailed"
    error_message = "an alarm on failed executions"
  }
  assert {
    condition     = aws_sns_topic_subscription.email["oncall@example.com"].protocol == "email" && aws_sns_topic_subscription.email["oncall@example.com"].topic_arn == aws_sns_topic.notifications[0].arn
    error_message = "email subscriptions on the topic"
  }
  assert {
    condition     = module.workflow_function["restore_steps"].function_name == "pitr-orders-restore-steps" && local.restore_workflow_manifest.topic_arn == aws_sns_topic.notifications[0].arn
    error_message = "the manifest names the topic"
  }
  assert {
    condition     = local.restore_workflow_manifest.state_machine_arn == aws_sfn_state_machine.this.arn && local.restore_workflow_manifest.steps_function_name == module.workflow_function["restore_steps"].function_name
    error_message = "the manifest's ARNs, built from names at plan time, are the resources' ARNs"
  }
  assert {
    condition     = [for s in jsondecode(module.workflow_function["restore_steps"].policy).Statement : s.Resource if s.Sid == "EncryptNotifications"][0] == [aws_kms_key.notifications[0].arn]
    error_message = "the steps function may use the topic's key"
  }
}

run "bring_your_own_topic" {
  command = apply

  variables {
    notification_topic_arn = "arn:aws:sns:eu-west-1:123456789012:ops-alerts"
  }

  assert {
    condition     = length(aws_sns_topic.notifications) == 0 && length(aws_kms_key.notifications) == 0
    error_message = "no topic or key is created when one is given"
  }
  assert {
    condition     = local.topic_arn == "arn:aws:sns:eu-west-1:123456789012:ops-alerts" && aws_cloudwatch_metric_alarm.executions["failed"].alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:ops-alerts"])
    error_message = "alarms and notifications go to the given topic"
  }
  assert {
    condition     = [for s in jsondecode(module.workflow_function["restore_steps"].policy).Statement : s.Resource if s.Sid == "Notify"][0] == ["arn:aws:sns:eu-west-1:123456789012:ops-alerts"]
    error_message = "the steps function publishes to the given topic only"
  }
}

run "customer_managed_key_encrypts_the_topic_and_the_workflow" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/99999999-8888-7777-6666-555555555555"
  }

  assert {
    condition     = length(aws_kms_key.notifications) == 0 && aws_sns_topic.notifications[0].kms_master_key_id == var.kms_key_arn
    error_message = "the user's key encrypts the topic; no extra key"
  }
  assert {
    condition     = aws_sfn_state_machine.this.encryption_configuration[0].kms_key_id == var.kms_key_arn
    error_message = "the workflow's data is encrypted with the user's key"
  }
  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.workflow.policy).Statement : s.Resource if s.Sid == "UseWorkflowKey"][0] == [var.kms_key_arn]
    error_message = "the workflow role may use the key"
  }
  assert {
    condition     = [for s in jsondecode(module.workflow_function["restore_waiter"].policy).Statement : s if s.Sid == "DecryptStreamFailures"] == [{ Sid = "DecryptStreamFailures", Effect = "Allow", Action = ["kms:Decrypt"], Resource = [var.kms_key_arn] }]
    error_message = "the waiter may decrypt the failure queue's messages with the user's key, nothing more"
  }
}

run "poll_cap_below_ten_seconds_is_refused" {
  command = plan

  variables {
    active_poll_cap_seconds = 5
  }

  expect_failures = [var.active_poll_cap_seconds]
}

run "undelivered_restore_events_are_kept_and_alarmed" {
  command = apply

  assert {
    condition     = aws_cloudwatch_event_target.workflow.dead_letter_config[0].arn == aws_sqs_queue.trigger_dead_letters.arn
    error_message = "the rule's target keeps undelivered events in a dead-letter queue"
  }
  assert {
    condition     = aws_sqs_queue.trigger_dead_letters.message_retention_seconds == 14 * 86400 && aws_sqs_queue.trigger_dead_letters.sqs_managed_sse_enabled == true
    error_message = "dead letters kept 14 days, encrypted"
  }
  assert {
    condition     = jsondecode(aws_sqs_queue_policy.trigger_dead_letters.policy).Statement[0].Condition.ArnEquals["aws:SourceArn"][0] == aws_cloudwatch_event_rule.restore_requested.arn && jsondecode(aws_sqs_queue_policy.trigger_dead_letters.policy).Statement[0].Principal.Service == "events.amazonaws.com"
    error_message = "only this rule may send to the dead-letter queue"
  }
  assert {
    condition     = one([for q in aws_cloudwatch_metric_alarm.trigger_failed.metric_query : q.metric[0].metric_name if q.id == "invocations_failed"]) == "FailedInvocations" && one([for q in aws_cloudwatch_metric_alarm.trigger_failed.metric_query : q.metric[0].dimensions.RuleName if q.id == "invocations_failed"]) == aws_cloudwatch_event_rule.restore_requested.name
    error_message = "an alarm on the rule's failed invocations"
  }
  assert {
    condition     = one([for q in aws_cloudwatch_metric_alarm.trigger_failed.metric_query : q.metric[0].dimensions.QueueName if q.id == "dead_letters"]) == aws_sqs_queue.trigger_dead_letters.name && contains(aws_cloudwatch_metric_alarm.trigger_failed.alarm_actions, aws_sns_topic.notifications[0].arn)
    error_message = "and on events in the dead-letter queue, to the notification topic"
  }
  assert {
    condition     = strcontains(aws_cloudwatch_metric_alarm.executions["aborted"].alarm_description, "pitrctl abort --table orders") && strcontains(aws_cloudwatch_metric_alarm.executions["timed_out"].alarm_description, "replay end recorded")
    error_message = "an execution that ended without its Catch says to run pitrctl abort"
  }
  assert {
    condition     = [for s in jsondecode(module.workflow_function["restore_steps"].policy).Statement : s.Resource if s.Sid == "DescribeHolderExecutions"][0] == ["arn:aws:states:eu-west-1:123456789012:execution:pitr-orders-restore:*"]
    error_message = "the steps function describes only this workflow's executions"
  }
}

run "max_restore_wait_above_what_the_history_holds_is_refused" {
  command = plan

  variables {
    max_restore_wait_hours = 721
  }

  expect_failures = [var.max_restore_wait_hours]
}

run "an_execution_that_ended_without_its_catch_is_released_by_itself" {
  command = apply

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.execution_ended.event_pattern) == { source = ["aws.states"], "detail-type" = ["Step Functions Execution Status Change"], detail = { stateMachineArn = ["arn:aws:states:eu-west-1:123456789012:stateMachine:pitr-orders-restore"], status = ["ABORTED", "TIMED_OUT", "FAILED"] } }
    error_message = "the rule matches this workflow's executions that ended ABORTED, TIMED_OUT or FAILED only"
  }
  assert {
    condition     = aws_cloudwatch_event_target.release.arn == module.workflow_function["restore_steps"].function_arn && aws_cloudwatch_event_target.release.input_transformer[0].input_paths["execution_arn"] == "$.detail.executionArn" && aws_cloudwatch_event_target.release.input_transformer[0].input_paths["status"] == "$.detail.status"
    error_message = "the target is the steps function, given the ended execution and its status"
  }
  assert {
    condition     = strcontains(aws_cloudwatch_event_target.release.input_transformer[0].input_template, "\"action\": \"release\"") && strcontains(aws_cloudwatch_event_target.release.input_transformer[0].input_template, "\"holder_ended\": true") && strcontains(aws_cloudwatch_event_target.release.input_transformer[0].input_template, "\"if_held\": true") && strcontains(aws_cloudwatch_event_target.release.input_transformer[0].input_template, "\"execution_arn\": <execution_arn>")
    error_message = "the input is the release action for that execution, only if it still holds the record"
  }
  assert {
    condition     = aws_cloudwatch_event_target.release.dead_letter_config[0].arn == aws_sqs_queue.trigger_dead_letters.arn && contains(jsondecode(aws_sqs_queue_policy.trigger_dead_letters.policy).Statement[0].Condition.ArnEquals["aws:SourceArn"], aws_cloudwatch_event_rule.execution_ended.arn)
    error_message = "undelivered release events are kept in the dead-letter queue, which this rule may send to"
  }
  assert {
    condition     = one([for q in aws_cloudwatch_metric_alarm.trigger_failed.metric_query : q.metric[0].dimensions.RuleName if q.id == "releases_failed"]) == aws_cloudwatch_event_rule.execution_ended.name
    error_message = "failed release invocations raise the trigger-failed alarm"
  }
  assert {
    condition     = aws_lambda_permission.release.principal == "events.amazonaws.com" && aws_lambda_permission.release.source_arn == aws_cloudwatch_event_rule.execution_ended.arn && aws_lambda_permission.release.function_name == module.workflow_function["restore_steps"].function_name && aws_lambda_permission.release.action == "lambda:InvokeFunction"
    error_message = "only this rule may invoke the steps function through EventBridge"
  }
  assert {
    condition     = contains(jsondecode(module.workflow_function["restore_steps"].policy).Statement, { Sid = "SendFailedAsyncInvocations", Effect = "Allow", Action = ["sqs:SendMessage"], Resource = [aws_sqs_queue.trigger_dead_letters.arn] })
    error_message = "a release that still fails after Lambda's retries goes to the dead-letter queue: the steps role may send to it and nowhere else"
  }
}
