################################################################################
# Hardened: one customer managed KMS key for everything encrypted, Lambdas in a VPC, your own SNS
# topic. The VPC and its subnets belong to the network team (given as variables); the subnets need a
# NAT gateway or VPC endpoints for the AWS APIs the functions call (see lambda_vpc_config).
################################################################################

terraform {
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0, < 7.0"
    }
  }
}

provider "aws" {
  region = var.region
}

################################################################################
# Inputs
################################################################################

variable "region" {
  description = "AWS region to deploy the example into."
  type        = string
  default     = "eu-west-1"
}

variable "table_name" {
  description = "Name of the example table."
  type        = string
  default     = "ledger"
}

variable "vpc_id" {
  description = "VPC the functions run in."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID (vpc-...)."
  }
}

variable "subnet_ids" {
  description = "Private subnets of vpc_id for the functions (two or more, in different Availability Zones), with a route to the AWS APIs: NAT gateway or VPC endpoints."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids must hold at least two subnet IDs (subnet-...)."
  }
}

variable "api_egress_cidr_blocks" {
  description = "Where the functions may open HTTPS connections: the AWS API endpoints, through NAT (0.0.0.0/0) or only the VPC's CIDR when every API has an interface endpoint."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "notification_emails" {
  description = "Email addresses subscribed to the alerts topic."
  type        = list(string)
  default     = []
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
}

################################################################################
# One customer managed key for the table, queues, bucket, logs, topic, workflow and environments
################################################################################

locals {
  key_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        # AWS's default key policy: IAM policies in this account decide who uses the key (the
        # module's roles get exactly the kms actions they need on this key).
        Sid       = "AccountAdministersTheKey"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        # Log groups encrypted with the key: CloudWatch Logs itself encrypts and decrypts, only for
        # this account's log groups in this region.
        Sid       = "CloudWatchLogsEncryptLogGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${var.region}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:*" }
        }
      },
      {
        # The restore workflow's logs reach its encrypted log group through CloudWatch Logs' log
        # delivery: the workflow's role generates the data key with this encryption context
        # (the module grants it), and the delivery service decrypts it to write the logs (aws-cdk's
        # StateMachine adds the same delivery.logs.amazonaws.com statement for encrypted logs).
        Sid       = "LogDeliveryWritesEncryptedLogs"
        Effect    = "Allow"
        Principal = { Service = "delivery.logs.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = {
          StringLike = { "kms:EncryptionContext:SourceArn" = "arn:${local.partition}:logs:${var.region}:${local.account_id}:*" }
        }
      },
      {
        # CloudWatch alarms publish to the encrypted alerts topic; they cannot use the AWS managed
        # aws/sns key, which is why the topic uses this one.
        Sid       = "CloudWatchAlarmsPublishEncrypted"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
      {
        # EventBridge keeps the restore events it could not deliver in the trigger dead-letter queue,
        # which this key encrypts: SQS lets an AWS service send to a queue encrypted with a customer
        # managed key only when the key policy gives that service kms:GenerateDataKey* and kms:Decrypt.
        Sid       = "EventBridgeSendsToEncryptedDeadLetterQueue"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
    ]
  }
}

resource "aws_kms_key" "pitr" {
  description             = "dynamodb-pitr-restore of ${var.table_name}: table, buffer queues, spill bucket, logs, notifications, workflow."
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = jsonencode(local.key_policy)
}

resource "aws_kms_alias" "pitr" {
  name          = "alias/pitr-${var.table_name}"
  target_key_id = aws_kms_key.pitr.key_id
}

################################################################################
# The table, encrypted with the same key (restored tables keep it)
################################################################################

resource "aws_dynamodb_table" "ledger" {
  name         = var.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "account"
  range_key    = "entry"

  attribute {
    name = "account"
    type = "S"
  }

  attribute {
    name = "entry"
    type = "S"
  }

  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.pitr.arn
  }

  deletion_protection_enabled = true
}

################################################################################
# Your own alerts topic (encrypted, TLS only)
################################################################################

resource "aws_sns_topic" "alerts" {
  name              = "${var.table_name}-pitr-alerts"
  kms_master_key_id = aws_kms_key.pitr.arn
}

resource "aws_sns_topic_policy" "alerts" {
  arn = aws_sns_topic.alerts.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # The module's alarms publish here; the workflow publishes with its role's own permission.
        Sid       = "CloudWatchAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alerts.arn
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sns:*"
        Resource  = aws_sns_topic.alerts.arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

################################################################################
# The functions' security group: HTTPS out to the AWS APIs, nothing in
################################################################################

resource "aws_security_group" "lambda" {
  #checkov:skip=CKV2_AWS_5:Attached to every function through the module's lambda_vpc_config (security_summary shows it); checkov's graph stopped following it into the nested lambda_function module once the archive_file data source went away.
  name        = "pitr-${var.table_name}-lambda"
  description = "dynamodb-pitr-restore functions of ${var.table_name}: HTTPS to the AWS APIs only, no inbound."
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "https" {
  for_each = toset(var.api_egress_cidr_blocks)

  security_group_id = aws_security_group.lambda.id
  description       = "HTTPS to the AWS APIs (DynamoDB, Streams, SQS, S3, SSM, Lambda, CloudWatch, SNS, EventBridge)."
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

################################################################################
# The module
################################################################################

module "ledger_pitr" {
  source = "../.."

  source_table_name = aws_dynamodb_table.ledger.name
  source_table      = aws_dynamodb_table.ledger # stream checks at plan; the table's key for its stream

  kms_key_arn = aws_kms_key.pitr.arn
  lambda_vpc_config = {
    subnet_ids         = var.subnet_ids
    security_group_ids = [aws_security_group.lambda.id]
  }
  # Built from the topic's name, not read from aws_sns_topic.alerts.arn: the module decides at plan
  # time whether to create its own topic, so the ARN must be known then. Referencing the name still
  # orders the topic first.
  notification_topic_arn         = "arn:${local.partition}:sns:${var.region}:${local.account_id}:${aws_sns_topic.alerts.name}"
  notification_topic_kms_key_arn = aws_kms_key.pitr.arn
  notification_emails            = var.notification_emails
  lambda_log_retention_days      = 365

  tags = {
    Environment = "example"
    DataClass   = "confidential"
  }
}

################################################################################
# Outputs
################################################################################

output "kms_key_arn" {
  description = "The customer managed key encrypting everything."
  value       = aws_kms_key.pitr.arn
}

output "notification_topic_arn" {
  description = "Alerts topic the module notifies and alarms on."
  value       = module.ledger_pitr.notification_topic_arn
}

output "security_summary" {
  description = "Encryption and VPC placement of every part, as the module reports it."
  value       = module.ledger_pitr.security_summary
}

output "function_names" {
  description = "The module's Lambda functions by role."
  value       = module.ledger_pitr.function_names
}
