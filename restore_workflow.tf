################################################################################
# Restore workflow: the restore-requested rule, the state machine, its waiter and steps functions,
# the restore-ended rule and the notifications
################################################################################

locals {
  state_machine_name = "${local.name_prefix}-restore"
  # Built from its name so the rule's role and the alarms need not wait for the state machine.
  state_machine_arn  = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.state_machine_name}"
  executions_arn     = "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${local.state_machine_name}:*"
  rule_name          = "${local.name_prefix}-restore-requested"
  created_topic_name = "${local.name_prefix}-notifications"

  trigger_dead_letter_queue_name = "${local.name_prefix}-restore-trigger-dlq"

  replay_mapping_arn = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:event-source-mapping:${aws_lambda_event_source_mapping.replay.uuid}"
  default_bus_arn    = "arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/default"

  max_restore_wait_seconds = var.max_restore_wait_hours * 3600
  # At cut-over, how long the drain may wait for the buffer to stay empty for drain_quiet_seconds
  # before the workflow reports the cut-over blocked.
  drain_timeout_seconds = 900

  # The waiter waits inside one invocation, at most Lambda's 15 minutes; it returns a minute before
  # its timeout (INVOCATION_BUDGET_SECONDS).
  restore_waiter_timeout_seconds = 900
  restore_waiter_budget_seconds  = local.restore_waiter_timeout_seconds - 60

  # EventBridge's longest retry: "maximum age of an event is 24 hours", at most 185 attempts.
  eventbridge_max_event_age_seconds = 86400
  eventbridge_max_retry_attempts    = 185
}

################################################################################
# Notifications: SNS topic (created unless one is given) and its KMS key
################################################################################

locals {
  create_topic = var.notification_topic_arn == null
  create_key   = local.create_topic && var.kms_key_arn == null
  topic_arn    = local.create_topic ? "arn:${local.partition}:sns:${local.region}:${local.account_id}:${local.created_topic_name}" : var.notification_topic_arn
  # The same ARN through the resource, for what must be created after the topic.
  topic_arn_ref = local.create_topic ? aws_sns_topic.notifications[0].arn : var.notification_topic_arn
  topic_key_arn = local.create_key ? aws_kms_key.notifications[0].arn : (local.create_topic ? var.kms_key_arn : var.notification_topic_kms_key_arn)

  # CloudWatch alarms cannot publish to a topic encrypted with the AWS managed aws/sns key: the key
  # policy must let the alarm service (and EventBridge / Step Functions, for users who route
  # notifications through them) use the key, limited to this account.
  key_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministersTheKey"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*" # in a key policy, "*" is the key itself
      },
      {
        Sid       = "ServicesPublishToTheTopic"
        Effect    = "Allow"
        Principal = { Service = ["cloudwatch.amazonaws.com", "events.amazonaws.com", "states.amazonaws.com"] }
        Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
    ]
  }

  topic_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountManagesAndPublishes"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:ListSubscriptionsByTopic"]
        Resource  = local.topic_arn
      },
      {
        Sid       = "CloudWatchAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = local.topic_arn
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
      {
        # The key above lets EventBridge encrypt for the topic; an EventBridge rule's SNS target
        # publishes with no role, so the topic policy must allow it too (AWS re:Post "Why isn't my
        # SNS topic receiving EventBridge notifications": "events.amazonaws.com" must be listed as
        # the "Service" and "sns:Publish" as the "Action"). Only this account's rules.
        Sid       = "EventBridgeRulesPublish"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = local.topic_arn
        Condition = { ArnLike = { "aws:SourceArn" = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/*" } }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sns:*"
        Resource  = local.topic_arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  }
}

resource "aws_kms_key" "notifications" {
  count = local.create_key ? 1 : 0

  description             = "dynamodb-pitr-restore notifications of ${var.source_table_name} (SNS topic; usable by CloudWatch alarms)."
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = jsonencode(local.key_policy)
  tags                    = local.tags
}

resource "aws_kms_alias" "notifications" {
  count = local.create_key ? 1 : 0

  name          = "alias/${local.name_prefix}-notifications"
  target_key_id = aws_kms_key.notifications[0].key_id
}

resource "aws_sns_topic" "notifications" {
  count = local.create_topic ? 1 : 0

  name              = local.created_topic_name
  display_name      = "DynamoDB PITR restore: ${substr(var.source_table_name, 0, 60)}"
  kms_master_key_id = coalesce(var.kms_key_arn, try(aws_kms_key.notifications[0].arn, null))
  tags              = local.tags
}

resource "aws_sns_topic_policy" "notifications" {
  count = local.create_topic ? 1 : 0

  arn    = aws_sns_topic.notifications[0].arn
  policy = jsonencode(local.topic_policy)
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.notification_emails)

  topic_arn = local.topic_arn_ref
  protocol  = "email"
  endpoint  = each.value
}

################################################################################
# Functions: the waiter (reads, waits) and the steps (claims, switches, notifies)
################################################################################

locals {
  # Each function's environment is its contract in pitr.environment (tests/unit/test_environment.py).
  common_environment = {
    SOURCE_TABLE_NAME                = var.source_table_name
    REPLAY_FROM                      = var.replay_from
    BUFFER_QUEUE_URL                 = aws_sqs_queue.buffer.url
    BUFFER_STANDBY_RETENTION_SECONDS = tostring(var.buffer_standby_retention_seconds)
    COVERAGE_PARAMETER               = local.coverage_parameter
  }

  waiter_statements = [
    {
      Sid      = "DescribeRestoredTables"
      Effect   = "Allow"
      Action   = ["dynamodb:DescribeTable"]
      Resource = [local.target_table_arn_pattern]
    },
    {
      Sid      = "ReadBufferCounts"
      Effect   = "Allow"
      Action   = ["sqs:GetQueueAttributes"]
      Resource = [aws_sqs_queue.buffer.arn]
    },
    {
      # plan_replay raises coverage_break_at when the stream failure queue shows a later break.
      Sid      = "KeepCoverageBreak"
      Effect   = "Allow"
      Action   = ["ssm:GetParameter", "ssm:PutParameter"]
      Resource = [local.coverage_parameter_arn]
    },
    {
      # Read without consuming (VisibilityTimeout=0): no DeleteMessage, no ChangeMessageVisibility.
      Sid      = "PeekStreamFailures"
      Effect   = "Allow"
      Action   = ["sqs:ReceiveMessage", "sqs:GetQueueAttributes"]
      Resource = [aws_sqs_queue.stream_failures.arn]
    },
    {
      # GetMetricData supports no resource-level permissions: "*" is the only value it accepts.
      Sid      = "ReadReplayLag"
      Effect   = "Allow"
      Action   = ["cloudwatch:GetMetricData"]
      Resource = ["*"]
    },
  ]

  # The root encrypts the stream failure queue with the same kms_key_arn; SQS-managed keys need no grant.
  waiter_key_statements = var.kms_key_arn == null ? [] : [
    {
      Sid      = "DecryptStreamFailures"
      Effect   = "Allow"
      Action   = ["kms:Decrypt"]
      Resource = [var.kms_key_arn]
    },
  ]

  waiter_environment = merge(local.common_environment, {
    ACTIVE_POLL_CAP_SECONDS   = tostring(var.active_poll_cap_seconds)
    CAUGHT_UP_LAG_SECONDS     = tostring(var.caught_up_lag_seconds)
    DRAIN_QUIET_SECONDS       = tostring(var.drain_quiet_seconds)
    DRAIN_TIMEOUT_SECONDS     = tostring(local.drain_timeout_seconds)
    INVOCATION_BUDGET_SECONDS = tostring(local.restore_waiter_budget_seconds)
    STREAM_FAILURE_QUEUE_URL  = aws_sqs_queue.stream_failures.url
  })

  steps_statements = concat(
    [
      {
        Sid      = "KeepRestoreRecordAndCoverage"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter", "ssm:PutParameter", "ssm:DeleteParameter"]
        Resource = [local.restore_record_parameter_arn, local.coverage_parameter_arn]
      },
      {
        # The claim and a release for an ended holder ask whether the holder execution still runs.
        Sid      = "DescribeHolderExecutions"
        Effect   = "Allow"
        Action   = ["states:DescribeExecution"]
        Resource = [local.executions_arn]
      },
      {
        Sid      = "SetBufferRetention"
        Effect   = "Allow"
        Action   = ["sqs:SetQueueAttributes"]
        Resource = [aws_sqs_queue.buffer.arn]
      },
      {
        # Replay sizing at replay start (pitr.replay_sizing): the tables' capacity, the backlog.
        Sid      = "SizeReplay"
        Effect   = "Allow"
        Action   = ["dynamodb:DescribeTable"]
        Resource = [local.source_table_arn, local.target_table_arn_pattern, aws_dynamodb_table.ledger.arn]
      },
      {
        # Replay start raises the ordering ledger's warm throughput to the target's (pitr.replay_sizing).
        Sid      = "PrewarmLedger"
        Effect   = "Allow"
        Action   = ["dynamodb:UpdateTable"]
        Resource = [aws_dynamodb_table.ledger.arn]
      },
      {
        Sid      = "ReadBacklog"
        Effect   = "Allow"
        Action   = ["sqs:GetQueueAttributes"]
        Resource = [aws_sqs_queue.buffer.arn]
      },
      {
        Sid      = "SwitchReplay"
        Effect   = "Allow"
        Action   = ["lambda:UpdateEventSourceMapping", "lambda:GetEventSourceMapping"]
        Resource = [local.replay_mapping_arn]
      },
      {
        Sid      = "Notify"
        Effect   = "Allow"
        Action   = ["sns:Publish"]
        Resource = [local.topic_arn]
      },
      {
        Sid      = "PutNotificationEvents"
        Effect   = "Allow"
        Action   = ["events:PutEvents"]
        Resource = [local.default_bus_arn]
      },
    ],
    var.kms_key_arn == null ? [] : [
      {
        # Lambda sends failed asynchronous invocations to the dead-letter queue with this role.
        Sid      = "EncryptDeadLetters"
        Effect   = "Allow"
        Action   = ["kms:GenerateDataKey", "kms:Decrypt"]
        Resource = [var.kms_key_arn]
      },
    ],
    local.topic_key_arn == null ? [] : [
      {
        Sid      = "EncryptNotifications"
        Effect   = "Allow"
        Action   = ["kms:GenerateDataKey", "kms:Decrypt"]
        Resource = [local.topic_key_arn]
      },
    ],
  )
}

locals {
  restore_waiter_function = {
    description       = "waits for a restore of the source table inside one invocation"
    timeout           = local.restore_waiter_timeout_seconds
    memory_size       = 256
    environment       = local.waiter_environment
    policy_statements = concat(local.waiter_statements, local.waiter_key_statements)
  }

  restore_steps_function = {
    description = "claims, switches replay and retention, notifies and releases restores of the source table"
    timeout     = 300
    memory_size = 256
    environment = merge(local.common_environment, {
      TARGET_TABLE_NAME_PATTERN = local.target_table_name_pattern
      RESTORE_RECORD_PARAMETER  = local.restore_record_parameter
      REPLAY_MAPPING_UUID       = aws_lambda_event_source_mapping.replay.uuid
      TOPIC_ARN                 = local.topic_arn
      MAX_RESTORE_WAIT_SECONDS  = tostring(local.max_restore_wait_seconds)
      # pitr.replay_sizing: replay sized to the target's write capacity, under these ceilings
      REPLAY_MAXIMUM_CONCURRENCY = tostring(var.replay_writer.maximum_concurrency)
      WARM_WRITE_UNITS_MAX       = tostring(var.warm_throughput_max_write_units_per_second)
      LEDGER_TABLE               = aws_dynamodb_table.ledger.name
    })
    policy_statements = local.steps_statements
    # The restore-ended rule invokes it asynchronously: a release that still fails after Lambda's
    # retries lands beside the rule's own undeliverable events (alarmed: restore-trigger-failed).
    dead_letter_queue_arn = aws_sqs_queue.trigger_dead_letters.arn
  }
}


################################################################################
# Workflow (Step Functions, Standard, JSONPath)
################################################################################

locals {
  # The only map the template is rendered with; pitrctl/workflow.py builds the same (TEMPLATE_KEYS).
  workflow_values = {
    cutover_reminder_seconds   = var.cutover_reminder_hours * 3600
    partition                  = local.partition
    settings_json              = jsonencode(local.settings)
    settings_sync_function_arn = module.workflow_function["settings_sync"].function_arn
    source_table_name          = var.source_table_name
    steps_function_arn         = module.workflow_function["restore_steps"].function_arn
    stream_mapping_uuid        = aws_lambda_event_source_mapping.stream.uuid
    waiter_function_arn        = module.workflow_function["restore_waiter"].function_arn
  }
  workflow_definition = templatefile("${path.module}/templates/workflow.asl.json.tftpl", local.workflow_values)

  invoked_functions = [module.workflow_function["restore_waiter"].function_arn, module.workflow_function["restore_steps"].function_arn, module.workflow_function["settings_sync"].function_arn]

  workflow_policy = {
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid      = "InvokeWorkflowFunctions"
        Effect   = "Allow"
        Action   = ["lambda:InvokeFunction"]
        Resource = concat(local.invoked_functions, [for arn in local.invoked_functions : "${arn}:*"])
      },
      {
        # CloudWatch Logs delivery for Step Functions: these actions support no resource-level permissions.
        Sid      = "DeliverWorkflowLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"]
        Resource = ["*"]
      },
      {
        # X-Ray's write and sampling APIs take no resource: "*" is the only value they accept.
        Sid      = "WriteTraces"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
        Resource = ["*"]
      },
      ], var.kms_key_arn == null ? [] : [
      {
        # The state machine's data is encrypted with the customer managed key (encryption_configuration).
        Sid       = "UseWorkflowKey"
        Effect    = "Allow"
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = [var.kms_key_arn]
        Condition = { StringEquals = { "kms:EncryptionContext:aws:states:stateMachineArn" = local.state_machine_arn } }
      },
      {
        # Log delivery of a state machine encrypted with a customer managed key: the execution role
        # generates the data key for the delivered logs, with the logs SourceArn encryption context
        # (what aws-cdk's StateMachine grants for "CWL Encryption": kms:GenerateDataKey with
        # kms:EncryptionContext:SourceArn = arn:<partition>:logs:<region>:<account>:*). The key
        # policy must also let delivery.logs.amazonaws.com decrypt (docs/security.md, examples/hardened).
        Sid       = "EncryptWorkflowLogDelivery"
        Effect    = "Allow"
        Action    = ["kms:GenerateDataKey"]
        Resource  = [var.kms_key_arn]
        Condition = { StringEquals = { "kms:EncryptionContext:SourceArn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:*" } }
      },
    ])
  }
}

resource "aws_cloudwatch_log_group" "workflow" {
  #checkov:skip=CKV_AWS_158:Encrypted with the customer managed key when kms_key_arn is set; otherwise CloudWatch Logs' own encryption at rest. Execution data (task tokens) is never logged.
  #checkov:skip=CKV_AWS_338:Retention is the user's choice (log_retention_days, default 30 days); a year is not required for operational logs.
  name              = "/aws/vendedlogs/states/${local.state_machine_name}"
  retention_in_days = var.lambda_log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = local.tags
}

resource "aws_iam_role" "workflow" {
  name        = "${local.name_prefix}-restore-workflow"
  description = "Role of the ${local.state_machine_name} state machine (dynamodb-pitr-restore)."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "states.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
  tags = local.tags
}

resource "aws_iam_role_policy" "workflow" {
  name   = "permissions"
  role   = aws_iam_role.workflow.id
  policy = jsonencode(local.workflow_policy)
}

resource "aws_sfn_state_machine" "this" {
  #checkov:skip=CKV_AWS_285:Execution data stays out of the logs on purpose: it holds the operator's task token (anyone reading it could cut over or abort) and table names; the execution history in Step Functions keeps it for 90 days.
  name       = local.state_machine_name
  role_arn   = aws_iam_role.workflow.arn
  type       = "STANDARD"
  definition = local.workflow_definition

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.workflow.arn}:*"
    include_execution_data = false
    level                  = var.workflow_log_level
  }

  tracing_configuration {
    enabled = true
  }

  dynamic "encryption_configuration" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      type                              = "CUSTOMER_MANAGED_KMS_KEY"
      kms_key_id                        = encryption_configuration.value
      kms_data_key_reuse_period_seconds = 300
    }
  }

  tags = local.tags

  depends_on = [aws_iam_role_policy.workflow]
}

################################################################################
# Trigger: the CloudTrail record of a successful restore of this table
################################################################################

locals {
  event_pattern_values = {
    account_id        = local.account_id
    region            = local.region
    source_table_name = var.source_table_name
    source_table_arn  = local.source_table_arn
  }
  event_pattern = jsonencode(jsondecode(templatefile("${path.module}/templates/event_pattern.json.tftpl", local.event_pattern_values)))
}

resource "aws_cloudwatch_event_rule" "restore_requested" {
  name          = local.rule_name
  description   = "Successful RestoreTableToPointInTime calls whose source is ${var.source_table_name} (dynamodb-pitr-restore)."
  event_pattern = local.event_pattern
  tags          = local.tags
}

resource "aws_iam_role" "rule" {
  name        = "${local.name_prefix}-restore-trigger"
  description = "Lets the ${local.rule_name} rule start the restore workflow (dynamodb-pitr-restore)."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
  tags = local.tags
}

resource "aws_iam_role_policy" "rule" {
  name = "start-restore-workflow"
  role = aws_iam_role.rule.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "StartRestoreWorkflow"
      Effect   = "Allow"
      Action   = ["states:StartExecution"]
      Resource = [aws_sfn_state_machine.this.arn]
    }]
  })
}

resource "aws_cloudwatch_event_target" "workflow" {
  rule     = aws_cloudwatch_event_rule.restore_requested.name
  arn      = aws_sfn_state_machine.this.arn
  role_arn = aws_iam_role.rule.arn

  retry_policy {
    maximum_event_age_in_seconds = local.eventbridge_max_event_age_seconds
    maximum_retry_attempts       = local.eventbridge_max_retry_attempts
  }

  # A restore whose StartExecution keeps failing (permissions, quota, a deleted state machine) is
  # kept here instead of dropped: "EventBridge DLQs are standard Amazon SQS queues that EventBridge
  # uses to store events that couldn't successfully be delivered to a target" (EventBridge user guide).
  dead_letter_config {
    arn = aws_sqs_queue.trigger_dead_letters.arn
  }
}

resource "aws_sqs_queue" "trigger_dead_letters" {
  name                       = local.trigger_dead_letter_queue_name
  message_retention_seconds  = local.sqs_max_retention_seconds # time to notice and restart by hand
  kms_master_key_id          = var.kms_key_arn
  sqs_managed_sse_enabled    = var.kms_key_arn == null ? true : null
  visibility_timeout_seconds = 30
  tags                       = local.tags
}

resource "aws_sqs_queue_policy" "trigger_dead_letters" {
  queue_url = aws_sqs_queue.trigger_dead_letters.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "RuleSendsUndeliveredEvents"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.trigger_dead_letters.arn
      Condition = { ArnEquals = { "aws:SourceArn" = [aws_cloudwatch_event_rule.restore_requested.arn, aws_cloudwatch_event_rule.execution_ended.arn] } }
    }]
  })
}

################################################################################
# Release: an execution that ended without its Catch (stopped, timed out, history limit)
################################################################################

# "Status changes in state machine executions are sent to EventBridge automatically" (Step Functions
# developer guide, "Automating Step Functions event delivery with EventBridge"), to the default bus,
# best effort. The steps function's release (holder_ended, if_held) checks DescribeExecution and
# releases only a record that execution still holds: the FAILED of an execution whose Catch
# released is a no-op, and `pitrctl abort` (or the next restore's claim) stays the path when an
# event is lost.
locals {
  execution_ended_rule_name = "${local.name_prefix}-restore-ended"
  execution_ended           = jsondecode(templatefile("${path.module}/templates/execution_ended.json.tftpl", { state_machine_arn = local.state_machine_arn }))
}

resource "aws_cloudwatch_event_rule" "execution_ended" {
  name          = local.execution_ended_rule_name
  description   = "Restore workflow executions of ${var.source_table_name} that ended ABORTED, TIMED_OUT or FAILED: release what they still hold (dynamodb-pitr-restore)."
  event_pattern = jsonencode(local.execution_ended.event_pattern)
  tags          = local.tags
}

resource "aws_cloudwatch_event_target" "release" {
  rule = aws_cloudwatch_event_rule.execution_ended.name
  arn  = module.workflow_function["restore_steps"].function_arn

  input_transformer {
    input_paths    = local.execution_ended.input_paths
    input_template = local.execution_ended.input_template
  }

  retry_policy {
    maximum_event_age_in_seconds = local.eventbridge_max_event_age_seconds
    maximum_retry_attempts       = local.eventbridge_max_retry_attempts
  }

  # An event not delivered (a removed permission, throttling past a day) waits in the trigger's
  # dead-letter queue and raises restore-trigger-failed; `pitrctl abort` releases by hand.
  dead_letter_config {
    arn = aws_sqs_queue.trigger_dead_letters.arn
  }
}

resource "aws_lambda_permission" "release" {
  statement_id  = "ReleaseEndedExecutions"
  action        = "lambda:InvokeFunction"
  function_name = module.workflow_function["restore_steps"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.execution_ended.arn
}

################################################################################
# Alarms: a workflow that failed, timed out or was stopped needs a human
################################################################################

locals {
  # An execution that ends without its Catch (timed out, stopped by hand, or failed in its release)
  # leaves its restore claimed: the restore-ended rule releases it by itself; `pitrctl abort` is the
  # manual path when that release failed or its event was lost (the next restore's claim would too).
  release_by_hand = "run `pitrctl abort --table ${var.source_table_name}`: it releases the restore (replay off, replay end recorded for coverage, standby retention, record released)"
  execution_alarms = {
    failed    = { metric = "ExecutionsFailed", what = "failed; the Restore Failed notification says why. The workflow released the restore, unless the execution failed with ReleaseIncompleteError (release_errors in the notification): then ${local.release_by_hand}" }
    timed_out = { metric = "ExecutionsTimedOut", what = "timed out without its own clean-up. The ${local.execution_ended_rule_name} rule releases the restore by itself (a Restore Failed notification saying mirroring stopped); when none came, ${local.release_by_hand}" }
    aborted   = { metric = "ExecutionsAborted", what = "was stopped (StopExecution) without its own clean-up. The ${local.execution_ended_rule_name} rule releases the restore by itself (a Restore Aborted notification saying mirroring stopped); when none came, ${local.release_by_hand}" }
  }
}

resource "aws_cloudwatch_metric_alarm" "executions" {
  for_each = local.execution_alarms

  alarm_name          = "${local.name_prefix}-restore-${replace(each.key, "_", "-")}"
  alarm_description   = "A restore workflow execution of ${var.source_table_name} ${each.value.what}."
  namespace           = "AWS/States"
  metric_name         = each.value.metric
  dimensions          = { StateMachineArn = aws_sfn_state_machine.this.arn }
  statistic           = "Sum"
  period              = local.metric_period_seconds
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.topic_arn_ref]
  ok_actions          = [local.topic_arn_ref]
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "trigger_failed" {
  alarm_name          = "${local.name_prefix}-restore-trigger-failed"
  alarm_description   = "EventBridge could not start the restore workflow of ${var.source_table_name} for a restore (FailedInvocations, or an event in ${aws_sqs_queue.trigger_dead_letters.name}): the restored table gets no replay and the buffer's retention stays at standby. Start the workflow by hand with the event's target table (docs/runbook.md: restore trigger failed). A dead-lettered Step Functions Execution Status Change event (detail-type) is a release not done: run `pitrctl abort --table ${var.source_table_name}`."
  comparison_operator = "GreaterThanOrEqualToThreshold"
  evaluation_periods  = 1
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.topic_arn_ref]
  ok_actions          = [local.topic_arn_ref]
  tags                = local.tags

  metric_query {
    id          = "failed"
    expression  = "FILL(invocations_failed, 0) + FILL(releases_failed, 0) + FILL(dead_letters, 0)"
    label       = "Restore and execution-ended events not delivered"
    return_data = true
  }
  metric_query {
    id = "invocations_failed"
    metric {
      # "The number of invocations that failed permanently." EventBridge sends it only when non-zero.
      namespace   = "AWS/Events"
      metric_name = "FailedInvocations"
      dimensions  = { RuleName = aws_cloudwatch_event_rule.restore_requested.name }
      stat        = "Sum"
      period      = local.metric_period_seconds
    }
  }
  metric_query {
    id = "releases_failed"
    metric {
      namespace   = "AWS/Events"
      metric_name = "FailedInvocations"
      dimensions  = { RuleName = aws_cloudwatch_event_rule.execution_ended.name }
      stat        = "Sum"
      period      = local.metric_period_seconds
    }
  }
  metric_query {
    id = "dead_letters"
    metric {
      namespace   = "AWS/SQS"
      metric_name = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = aws_sqs_queue.trigger_dead_letters.name }
      stat        = "Maximum"
      period      = local.metric_period_seconds
    }
  }
}

################################################################################
# Manifest entries: built from names (known at plan), not read from the resources, so the manifest
# is known at plan
################################################################################

locals {
  restore_workflow_manifest = {
    state_machine_arn         = local.state_machine_arn
    state_machine_name        = local.state_machine_name
    waiter_function_name      = local.function_names.restore_waiter
    waiter_function_arn       = local.function_arns.restore_waiter
    steps_function_name       = local.function_names.restore_steps
    steps_function_arn        = local.function_arns.restore_steps
    topic_arn                 = local.topic_arn
    rule_name                 = local.rule_name
    trigger_dead_letter_queue = local.trigger_dead_letter_queue_name
    coverage_parameter        = local.coverage_parameter
    restore_record_parameter  = local.restore_record_parameter
    settings = {
      max_restore_wait_seconds         = local.max_restore_wait_seconds
      active_poll_cap_seconds          = var.active_poll_cap_seconds
      caught_up_lag_seconds            = var.caught_up_lag_seconds
      cutover_reminder_hours           = var.cutover_reminder_hours
      drain_quiet_seconds              = var.drain_quiet_seconds
      buffer_standby_retention_seconds = var.buffer_standby_retention_seconds
      buffer_restore_retention_seconds = local.sqs_max_retention_seconds
      settings                         = local.settings
    }
  }
}
