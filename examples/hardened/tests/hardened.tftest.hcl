# examples/hardened: the one key reaches every encrypted part, the functions run in the VPC, and the
# module uses the example's topic instead of creating one. KMS and SNS ARNs get realistic mock values
# because the module validates them.

mock_provider "aws" {
  source = "../../tests/mocks"
  mock_resource "aws_kms_key" {
    defaults = {
      arn    = "arn:aws:kms:eu-west-1:123456789012:key/0b9c5e4e-1111-4222-8333-444455556666"
      key_id = "0b9c5e4e-1111-4222-8333-444455556666"
    }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:eu-west-1:123456789012:ledger-pitr-alerts" }
  }
  mock_resource "aws_security_group" {
    defaults = { id = "sg-0123456789abcdef0" }
  }
}

variables {
  vpc_id     = "vpc-0a1b2c3d4e5f60718"
  subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]
}

run "one_key_encrypts_everything" {
  command = apply

  assert {
    condition     = aws_dynamodb_table.ledger.server_side_encryption[0].kms_key_arn == aws_kms_key.pitr.arn
    error_message = "the table is encrypted with the key"
  }
  assert {
    condition     = output.security_summary.cdc_buffer.queue_kms_keys == { buffer = aws_kms_key.pitr.arn, buffer_dlq = aws_kms_key.pitr.arn, stream_failures = aws_kms_key.pitr.arn }
    error_message = "every queue (buffer, dead-letter, stream failures) uses the key: ${jsonencode(output.security_summary.cdc_buffer.queue_kms_keys)}"
  }
  assert {
    condition     = output.security_summary.cdc_buffer.spill_kms_keys == [aws_kms_key.pitr.arn]
    error_message = "the spill bucket uses the key"
  }
  assert {
    condition = alltrue(flatten([
      for part in values(output.security_summary) : [
        for fn in values(part.functions) : [fn.log_group_kms_key == aws_kms_key.pitr.arn, fn.environment_kms_key == aws_kms_key.pitr.arn]
      ]
    ]))
    error_message = "every function's log group and environment use the key"
  }
  assert {
    condition     = length(flatten([for part in values(output.security_summary) : values(part.functions)])) == 5
    error_message = "the summary must cover all five functions"
  }
  assert {
    condition     = output.security_summary.restore_workflow.workflow_kms_key == aws_kms_key.pitr.arn && output.security_summary.restore_workflow.workflow_log_group_key == aws_kms_key.pitr.arn
    error_message = "the workflow and its log group use the key"
  }
  assert {
    condition     = aws_sns_topic.alerts.kms_master_key_id == aws_kms_key.pitr.arn
    error_message = "the alerts topic is encrypted with the key"
  }
  assert {
    condition     = contains([for s in jsondecode(aws_kms_key.pitr.policy).Statement : s.Sid if can(s.Principal.Service)], "CloudWatchLogsEncryptLogGroups") && contains([for s in jsondecode(aws_kms_key.pitr.policy).Statement : s.Principal.Service if can(s.Principal.Service)], "cloudwatch.amazonaws.com")
    error_message = "the key policy lets CloudWatch Logs (log groups) and CloudWatch alarms (topic) use the key"
  }
  assert {
    # The workflow's log delivery into its encrypted log group.
    condition = contains(jsondecode(aws_kms_key.pitr.policy).Statement, {
      Sid       = "LogDeliveryWritesEncryptedLogs"
      Effect    = "Allow"
      Principal = { Service = "delivery.logs.amazonaws.com" }
      Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
      Resource  = "*"
      Condition = { StringLike = { "kms:EncryptionContext:SourceArn" = "arn:aws:logs:eu-west-1:123456789012:*" } }
    })
    error_message = "the key policy lets log delivery write the workflow's encrypted logs"
  }
  assert {
    condition     = strcontains(output.security_summary.restore_workflow.workflow_log_group_key, "key/") && output.security_summary.restore_workflow.workflow_log_group_key == aws_kms_key.pitr.arn
    error_message = "the workflow's log group is encrypted with the key"
  }
}

run "own_topic_is_wired" {
  command = apply

  assert {
    condition     = output.notification_topic_arn == aws_sns_topic.alerts.arn
    error_message = "the module notifies the example's topic"
  }
  assert {
    condition     = output.security_summary.restore_workflow.topic_arn == aws_sns_topic.alerts.arn && output.security_summary.restore_workflow.topic_kms_key == aws_kms_key.pitr.arn
    error_message = "the workflow publishes to the given topic with its key"
  }
  assert {
    condition = anytrue([
      for s in jsondecode(output.security_summary.restore_workflow.steps_policy).Statement :
      s.Sid == "EncryptNotifications" && s.Resource == [aws_kms_key.pitr.arn]
    ])
    error_message = "the steps role may use the topic's key (notification_topic_kms_key_arn)"
  }
  assert {
    condition = anytrue([
      for s in jsondecode(output.security_summary.restore_workflow.steps_policy).Statement :
      s.Sid == "Notify" && s.Resource == [aws_sns_topic.alerts.arn]
    ])
    error_message = "the steps role publishes to the given topic only"
  }
  assert {
    condition = anytrue([
      for s in jsondecode(aws_sns_topic_policy.alerts.policy).Statement :
      s.Effect == "Deny" && s.Condition.Bool["aws:SecureTransport"] == "false"
    ])
    error_message = "the topic refuses non-TLS requests"
  }
}

run "every_function_runs_in_the_vpc" {
  command = apply

  assert {
    condition = alltrue(flatten([
      for part in values(output.security_summary) : [
        for fn in values(part.functions) : [
          tolist(fn.vpc_subnet_ids) == tolist(var.subnet_ids) || toset(fn.vpc_subnet_ids) == toset(var.subnet_ids),
          toset(fn.vpc_security_group_ids) == toset([aws_security_group.lambda.id]),
        ]
      ]
    ]))
    error_message = "every function runs in the given subnets with the example's security group"
  }
  assert {
    condition     = alltrue([for rule in aws_vpc_security_group_egress_rule.https : rule.from_port == 443 && rule.to_port == 443 && rule.ip_protocol == "tcp"])
    error_message = "the functions may only open HTTPS connections"
  }
}
