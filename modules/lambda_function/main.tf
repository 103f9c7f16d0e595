################################################################################
# Package: the committed, deterministic package of the pitr package (or the caller's artifact)
################################################################################

locals {
  # Built by `make package` (tools/build_package.py) and committed, so it travels with the module
  # source: a plan and an apply in separate CI jobs both have it (an archive_file data source writes
  # its zip at plan time into the working directory, which the apply job does not get).
  default_package = "${path.module}/../../lambda_package/pitr.zip"
  package_path    = coalesce(try(var.package.filename, null), local.default_package)
  package_hash    = try(var.package.source_code_hash, null) != null ? var.package.source_code_hash : filebase64sha256(local.package_path)

  # AWS: a function's Description is 0 to 256 characters. Callers put the table name last, so a long
  # name is what gets shortened (the source-table tag keeps it whole).
  description = length(var.description) <= 256 ? var.description : "${substr(var.description, 0, 253)}..."
}

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  log_group_name = "/aws/lambda/${var.function_name}"
  log_group_arn  = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:log-group:${local.log_group_name}"

  base_statements = concat(
    [
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${local.log_group_arn}:*"]
      },
      {
        # X-Ray's write APIs take no resource: "*" is the only value they accept.
        Sid      = "WriteTraces"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = ["*"]
      },
    ],
    var.dead_letter_queue_arn == null ? [] : [
      {
        Sid      = "SendFailedAsyncInvocations"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = [var.dead_letter_queue_arn]
      },
    ],
    var.vpc_config == null ? [] : [
      {
        # ENI management for VPC placement: these EC2 actions do not support resource-level scoping.
        # The EC2 actions of AWS's managed AWSLambdaVPCAccessExecutionRole (policy v3, 2024-01-05):
        # "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
        # "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses".
        Sid      = "ManageVpcNetworkInterfaces"
        Effect   = "Allow"
        Action   = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
        Resource = ["*"]
      },
    ],
  )

  policy = {
    Version   = "2012-10-17"
    Statement = concat(local.base_statements, var.policy_statements)
  }
}

################################################################################
# Role
################################################################################

resource "aws_iam_role" "this" {
  name        = var.function_name
  description = "Execution role of ${var.function_name} (dynamodb-pitr-restore)."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "permissions"
  role   = aws_iam_role.this.id
  policy = jsonencode(local.policy)
}

################################################################################
# Logs
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:Encrypted with the customer managed key when kms_key_arn is set; otherwise CloudWatch Logs' own encryption at rest.
  #checkov:skip=CKV_AWS_338:Retention is the user's choice (log_retention_days, default 30 days); a year is not required for operational logs.
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

################################################################################
# Function
################################################################################

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Set where a function is invoked asynchronously (dead_letter_queue_arn: the steps function, by the restore-ended rule); the others are invoked synchronously by event source mappings and Step Functions, which own retries and failure destinations.
  #checkov:skip=CKV_AWS_117:VPC placement is optional (vpc_config); the functions call only AWS APIs.
  #checkov:skip=CKV_AWS_272:Code signing needs a signing profile the user owns; the package is built from this repository (make package) or given as an artifact.
  #checkov:skip=CKV_AWS_115:Reserved concurrency is configurable (reserved_concurrent_executions); the replay writer is bounded by its mapping's maximum concurrency instead.
  #checkov:skip=CKV_AWS_173:Environment variables hold only names and ARNs; they are encrypted with kms_key_arn when set, and with the AWS managed key otherwise.
  function_name                  = var.function_name
  description                    = local.description
  role                           = aws_iam_role.this.arn
  handler                        = var.handler
  runtime                        = "python3.13"
  architectures                  = ["arm64"]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrent_executions
  filename                       = local.package_path
  source_code_hash               = local.package_hash
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = merge(var.environment, { LOG_LEVEL = "INFO" })
  }

  logging_config {
    log_format = "Text" # the functions write JSON lines themselves (pitr.logs)
    log_group  = aws_cloudwatch_log_group.this.name
  }

  tracing_config {
    mode = "Active"
  }

  # "Lambda sends events that can't be processed to the dead-letter queue after two retries" for
  # asynchronous invocations (AWS Lambda developer guide); the role needs sqs:SendMessage on it.
  dynamic "dead_letter_config" {
    for_each = var.dead_letter_queue_arn == null ? [] : [var.dead_letter_queue_arn]
    content {
      target_arn = dead_letter_config.value
    }
  }

  dynamic "vpc_config" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]
    content {
      subnet_ids         = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.this]
}
