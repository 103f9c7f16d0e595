################################################################################
# Basic: one on-demand table protected by the module
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

variable "region" {
  description = "AWS region to deploy the example into."
  type        = string
  default     = "eu-west-1"
}

variable "table_name" {
  description = "Name of the example table."
  type        = string
  default     = "orders"
}

resource "aws_dynamodb_table" "orders" {
  #checkov:skip=CKV_AWS_119:Example table: encryption with the AWS owned key keeps the example self-contained; examples/hardened uses a customer managed key.
  name         = var.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  # The module buffers changes from this stream; it needs the new images.
  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"

  point_in_time_recovery {
    enabled = true
  }

  deletion_protection_enabled = true
}

module "orders_pitr" {
  source = "../.."

  source_table_name = aws_dynamodb_table.orders.name
  # The table is created here: the module takes its stream settings from the resource, so a missing
  # stream or a view type without new images fails the plan (a lookup would wait for the apply).
  source_table = aws_dynamodb_table.orders

  tags = {
    Environment = "example"
  }
}

output "manifest_parameter_name" {
  description = "SSM parameter holding the deployment manifest."
  value       = module.orders_pitr.manifest_parameter_name
}

output "target_table_name_pattern" {
  description = "Restored tables must match this glob."
  value       = module.orders_pitr.target_table_name_pattern
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the pipeline."
  value       = module.orders_pitr.dashboard_name
}

output "function_names" {
  description = "The module's Lambda functions by role."
  value       = module.orders_pitr.function_names
}

output "notification_topic_arn" {
  description = "SNS topic for restore notifications and alarms (subscribe your on-call here)."
  value       = module.orders_pitr.notification_topic_arn
}
