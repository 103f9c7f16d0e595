################################################################################
# Multi-table: one module instance per table with for_each, as in a monorepo
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

variable "tables" {
  description = "Tables to create and protect, by name: partition key, optional sort key. Names with '.' or over 24 characters get a hashed resource prefix, so every instance still has its own names."
  type = map(object({
    hash_key  = string
    range_key = optional(string)
  }))
  default = {
    orders                              = { hash_key = "pk", range_key = "sk" }
    customers                           = { hash_key = "customer_id" }
    "billing.invoices"                  = { hash_key = "invoice_id" }
    "analytics-events-by-tenant-daily"  = { hash_key = "tenant", range_key = "day" }
    "analytics-events-by-tenant-hourly" = { hash_key = "tenant", range_key = "hour" }
  }

  validation {
    condition     = length(var.tables) > 0
    error_message = "tables must name at least one table."
  }
}

variable "notification_emails" {
  description = "Email addresses subscribed to every table's notification topic."
  type        = list(string)
  default     = []
}

################################################################################
# Tables
################################################################################

resource "aws_dynamodb_table" "this" {
  #checkov:skip=CKV_AWS_119:Example tables: encryption with the AWS owned key keeps the example self-contained; examples/hardened uses a customer managed key.
  for_each = var.tables

  name         = each.key
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = each.value.hash_key
  range_key    = each.value.range_key

  attribute {
    name = each.value.hash_key
    type = "S"
  }

  dynamic "attribute" {
    for_each = each.value.range_key == null ? [] : [each.value.range_key]
    content {
      name = attribute.value
      type = "S"
    }
  }

  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"

  point_in_time_recovery {
    enabled = true
  }

  deletion_protection_enabled = true
}

################################################################################
# One module instance per table
################################################################################

module "pitr" {
  source   = "../.."
  for_each = aws_dynamodb_table.this

  # Every name the module derives (prefix, SSM paths, archives under .build/<function>.zip) comes
  # from the table name, so instances never collide.
  source_table_name   = each.value.name
  source_table        = each.value # the stream checks at plan
  notification_emails = var.notification_emails

  tags = {
    Environment = "example"
    Table       = each.key
  }
}

################################################################################
# Outputs
################################################################################

output "name_prefixes" {
  description = "Resource name prefix of each table's deployment."
  value       = { for table, pitr in module.pitr : table => pitr.name_prefix }
}

output "manifest_parameter_names" {
  description = "SSM manifest parameter of each table's deployment (pitrctl --manifest)."
  value       = { for table, pitr in module.pitr : table => pitr.manifest_parameter_name }
}

output "restore_record_parameter_names" {
  description = "SSM restore record parameter of each table's deployment."
  value       = { for table, pitr in module.pitr : table => pitr.restore_record_parameter_name }
}

output "function_names" {
  description = "Lambda functions of each table's deployment, by role."
  value       = { for table, pitr in module.pitr : table => pitr.function_names }
}

output "dashboard_names" {
  description = "CloudWatch dashboard of each table's deployment."
  value       = { for table, pitr in module.pitr : table => pitr.dashboard_name }
}

output "state_machine_arns" {
  description = "Restore workflow of each table's deployment."
  value       = { for table, pitr in module.pitr : table => pitr.state_machine_arn }
}
