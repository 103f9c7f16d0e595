################################################################################
# Common inputs (passed by the root module)
################################################################################

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
}

variable "source_table_name" {
  description = "Name of the source table."
  type        = string
}

variable "source_table_arn" {
  description = "ARN of the source table."
  type        = string
}

variable "source_stream_arn" {
  description = "ARN of the source table's stream."
  type        = string
}

variable "target_table_name_pattern" {
  description = "Glob ('*' only) a restored table's name must match; never matches the source."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for everything encrypted; null uses AWS managed or owned keys."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Retention of the Lambda log groups in days."
  type        = number
  default     = 30
}

variable "vpc_config" {
  description = "Optional VPC placement of the Lambda functions."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null
}

variable "tags" {
  description = "Tags for every taggable resource."
  type        = map(string)
  default     = {}
}

variable "restore_record_parameter" {
  description = "Name of the SSM parameter holding the restore record (read by the replay writer)."
  type        = string
}

variable "alarm_topic_arn" {
  description = "SNS topic the alarms notify; null creates alarms without actions."
  type        = string
  default     = null
}
