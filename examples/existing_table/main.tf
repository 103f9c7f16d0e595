################################################################################
# Existing table: the table is managed elsewhere (another state, another team, the console); only
# its name is given and the module looks it up.
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
  description = "AWS region of the existing table."
  type        = string
  default     = "eu-west-1"
}

variable "table_name" {
  description = "Name of the existing table. It must already have a stream with new images (NEW_IMAGE or NEW_AND_OLD_IMAGES); plan fails with a message saying how to fix it otherwise."
  type        = string
  default     = "payments"
}

variable "target_table_name_pattern" {
  description = "Glob restored tables must match; null means \"<table_name>-restored-*\"."
  type        = string
  default     = null
}

variable "replay_from" {
  description = "\"restore_point\" (clone or migrate) or \"restore_request\" (recover from an incident)."
  type        = string
  default     = "restore_request"
}

variable "notification_emails" {
  description = "Email addresses subscribed to the notification topic."
  type        = list(string)
  default     = []
}

################################################################################
# Module: nothing here manages the table itself
################################################################################

module "payments_pitr" {
  source = "../.."

  source_table_name         = var.table_name
  target_table_name_pattern = var.target_table_name_pattern
  replay_from               = var.replay_from
  notification_emails       = var.notification_emails

  tags = {
    Environment = "example"
  }
}

################################################################################
# Outputs
################################################################################

output "source_table_arn" {
  description = "ARN of the existing table, as the module looked it up."
  value       = module.payments_pitr.source_table_arn
}

output "source_stream_arn" {
  description = "The table's stream the module reads."
  value       = module.payments_pitr.source_stream_arn
}

output "manifest_parameter_name" {
  description = "SSM parameter holding the deployment manifest."
  value       = module.payments_pitr.manifest_parameter_name
}

output "target_table_name_pattern" {
  description = "Restored tables must match this glob."
  value       = module.payments_pitr.target_table_name_pattern
}

output "buffer_queue_url" {
  description = "SQS FIFO buffer holding the table's changes."
  value       = module.payments_pitr.buffer_queue_url
}

output "state_machine_arn" {
  description = "Restore workflow."
  value       = module.payments_pitr.state_machine_arn
}
