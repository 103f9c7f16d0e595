# What AWS checks only at apply (or at run time), evaluated on the rendered values at the longest
# names the module accepts (255-character table name and target pattern, 300-character ssm_prefix,
# 32-character name_prefix), in the longest region name of each partition (this file: aws; aws_limits_*.tftest.hcl hold the same run for each partition),
# with every optional part that adds text or statements on (customer managed key, VPC placement, a
# source table encrypted with its own key). Issue 14 items 1-4, 6, 7 and 10; item numbers below.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_region" {
    defaults = { region = "ap-southeast-7", name = "ap-southeast-7" }
  }
  # Computed values at their longest: 80-character queue names, 63-character buckets, 64-character
  # function names, 36-character mapping UUIDs.
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:ap-southeast-7:123456789012:qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
      url = "https://sqs.ap-southeast-7.amazonaws.com/123456789012/qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
    }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { bucket = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", arn = "arn:aws:s3:::bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:ap-southeast-7:123456789012:function:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" }
  }
  mock_resource "aws_lambda_event_source_mapping" {
    defaults = { uuid = "aaaaaaaa-0000-4000-8000-000000000001" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:ap-southeast-7:123456789012:key/11111111-2222-3333-4444-555555555555" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:ap-southeast-7:123456789012:pitr-aaaaaaaaaaaaaaaaaaaaaaaaaaa-notifications" }
  }
  mock_resource "aws_sfn_state_machine" {
    defaults = { arn = "arn:aws:states:ap-southeast-7:123456789012:stateMachine:pitr-aaaaaaaaaaaaaaaaaaaaaaaaaaa-restore" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:ap-southeast-7:123456789012:log-group:/aws/vendedlogs/states/pitr-aaaaaaaaaaaaaaaaaaaaaaaaaaa-restore" }
  }
}

variables {
  source_table_name         = "orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-order"
  target_table_name_pattern = "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr*"
  ssm_prefix                = "pitr/ppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
  name_prefix               = "pitr-aaaaaaaaaaaaaaaaaaaaaaaaaaa"
  lambda_vpc_config = {
    subnet_ids         = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]
    security_group_ids = ["sg-0123456789abcdef0"]
  }
}

run "longest_names_aws" {
  command = apply

  variables {
    # The table as its resource gives it (source_table): stream, PITR and its own KMS key.
    source_table = {
      name                   = "orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-order"
      stream_enabled         = true
      stream_view_type       = "NEW_AND_OLD_IMAGES"
      stream_arn             = "arn:aws:dynamodb:ap-southeast-7:123456789012:table/orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-orders.v2-order/stream/2026-01-01T00:00:00.000"
      point_in_time_recovery = [{ enabled = true }]
      server_side_encryption = [{ enabled = true, kms_key_arn = "arn:aws:kms:ap-southeast-7:123456789012:key/7a7a7a7a-1111-4222-8333-444455556666" }]
    }
    kms_key_arn = "arn:aws:kms:ap-southeast-7:123456789012:key/0b9c5e4e-1111-4222-8333-444455556666"
  }


  # 1. SSM: Standard parameters hold 4096 characters, Advanced 8 KB.
  assert {
    condition     = output.rendered.manifest_length == length(aws_ssm_parameter.manifest.value) && output.rendered.manifest_length <= 8192
    error_message = "the manifest (${output.rendered.manifest_length} characters) must fit an Advanced parameter (8 KB)"
  }
  assert {
    condition     = aws_ssm_parameter.manifest.tier == (output.rendered.manifest_length > 4096 ? "Advanced" : "Standard")
    error_message = "a manifest of ${output.rendered.manifest_length} characters needs tier ${output.rendered.manifest_length > 4096 ? "Advanced" : "Standard"}, got ${aws_ssm_parameter.manifest.tier}"
  }
  assert {
    condition     = length("arn:aws:ssm:ap-southeast-7:123456789012:parameter${aws_ssm_parameter.manifest.name}") <= 1011
    error_message = "SSM: a parameter name, with its ARN, is at most 1011 characters"
  }
  # 2. Lambda: Description at most 256 characters; function (and role) names at most 64.
  assert {
    condition     = alltrue([for f in values(output.rendered.functions) : length(f.description) <= 256 && length(f.function_name) <= 64])
    error_message = "function descriptions must be at most 256 characters and names 64: ${jsonencode({ for k, f in output.rendered.functions : k => [length(f.description), length(f.function_name)] })}"
  }
  assert {
    condition     = alltrue([for f in values(output.rendered.functions) : endswith(f.description, "...") || endswith(f.description, var.source_table_name)])
    error_message = "descriptions end with the table name (cut only there)"
  }
  # 3. The workflow's log delivery to its encrypted log group.
  assert {
    condition = contains([for s in jsondecode(output.rendered.workflow.policy).Statement : s if s.Sid == "EncryptWorkflowLogDelivery"], {
      Sid       = "EncryptWorkflowLogDelivery"
      Effect    = "Allow"
      Action    = ["kms:GenerateDataKey"]
      Resource  = ["arn:aws:kms:ap-southeast-7:123456789012:key/0b9c5e4e-1111-4222-8333-444455556666"]
      Condition = { StringEquals = { "kms:EncryptionContext:SourceArn" = "arn:aws:logs:ap-southeast-7:123456789012:*" } }
    })
    error_message = "the workflow role generates data keys for its log delivery, logs SourceArn context: ${output.rendered.workflow.policy}"
  }
  # 4. Partitions: every ARN the module renders names this partition.
  assert {
    condition     = length(regexall("\"arn:aws:states:::lambda:invoke", output.rendered.workflow.definition)) > 0 && length(regexall("arn:[a-z-]+:states:::", output.rendered.workflow.definition)) == length(regexall("arn:aws:states:::", output.rendered.workflow.definition))
    error_message = "the workflow's service integrations use arn:aws:states:::"
  }
  assert {
    condition = alltrue([for text in concat(
      [output.rendered.workflow.definition, output.rendered.workflow.policy, output.rendered.workflow.topic_policy, aws_ssm_parameter.manifest.value],
      [for f in values(output.rendered.functions) : f.policy],
    ) : length(regexall("arn:[a-z-]+:", text)) == length(regexall("arn:aws:", text))])
    error_message = "an ARN outside partition aws in the rendered policies, workflow or manifest"
  }
  # 6. VPC placement: what AWSLambdaVPCAccessExecutionRole grants, DescribeSubnets included.
  assert {
    condition     = alltrue([for f in values(output.rendered.functions) : contains(flatten([for s in jsondecode(f.policy).Statement : s.Action if s.Sid == "ManageVpcNetworkInterfaces"]), "ec2:DescribeSubnets")])
    error_message = "every function in a VPC gets ec2:DescribeSubnets"
  }
  # 7. EventBridge rules of this account may publish to the created topic.
  assert {
    condition = contains(jsondecode(output.rendered.workflow.topic_policy).Statement, {
      Sid       = "EventBridgeRulesPublish"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sns:Publish"
      Resource  = "arn:aws:sns:ap-southeast-7:123456789012:pitr-aaaaaaaaaaaaaaaaaaaaaaaaaaa-notifications"
      Condition = { ArnLike = { "aws:SourceArn" = "arn:aws:events:ap-southeast-7:123456789012:rule/*" } }
    })
    error_message = "the topic policy lets this account's EventBridge rules publish: ${output.rendered.workflow.topic_policy}"
  }
  # 10. The source table's own key, for reading its stream: the subscriber only.
  assert {
    condition     = contains(jsondecode(output.rendered.functions.cdc_subscriber.policy).Statement, { Sid = "DecryptSourceStream", Effect = "Allow", Action = ["kms:Decrypt"], Resource = ["arn:aws:kms:ap-southeast-7:123456789012:key/7a7a7a7a-1111-4222-8333-444455556666"] })
    error_message = "the subscriber decrypts the source table's stream with the table's key"
  }
  assert {
    condition     = alltrue([for name, f in output.rendered.functions : name == "cdc_subscriber" || !strcontains(f.policy, "arn:aws:kms:ap-southeast-7:123456789012:key/7a7a7a7a-1111-4222-8333-444455556666")])
    error_message = "only the subscriber gets the source table's key"
  }
}
