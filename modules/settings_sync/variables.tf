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

################################################################################
# settings_sync
################################################################################

variable "settings" {
  description = "Switches of the copied settings (setting name => copy it), validated by the root module; settings not named keep their default from lambda_src/pitr/settings_sync/catalogue.json."
  type        = map(bool)
  default     = {}
  nullable    = false
}

variable "memory_size" {
  description = "Memory of the settings_sync function in MB."
  type        = number
  default     = 256
  nullable    = false

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "timeout" {
  description = "Timeout of the settings_sync function in seconds. Copying hundreds of alarms is bound by CloudWatch's PutMetricAlarm rate; a run that reaches the limit reports complete = false and the same phase can be run again."
  type        = number
  default     = 900
  nullable    = false

  validation {
    condition     = var.timeout >= 60 && var.timeout <= 900
    error_message = "timeout must be between 60 and 900 seconds."
  }
}

variable "sync_options" {
  description = <<-EOT
    What settings_sync may do beyond copying (each optional):
      trigger_filter_kms_key_arns                - customer managed KMS keys that encrypt the filters of the
                                                   source stream's triggers; the function gets kms:Decrypt on
                                                   them to read and copy those filters ([])
      warm_throughput_max_write_units_per_second - ceiling of the warm throughput asked for the replay backlog
                                                   (input warm_write_units_per_second); 0 pre-warms to the
                                                   source's only (0)
      add_replicas_after_cutover                 - phase cutover adds the source's global table replica
                                                   Regions (one per run, asynchronous) and the function gets
                                                   the replica permissions (false)
  EOT
  type = object({
    trigger_filter_kms_key_arns                = optional(list(string), [])
    warm_throughput_max_write_units_per_second = optional(number, 0)
    add_replicas_after_cutover                 = optional(bool, false)
  })
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for k in var.sync_options.trigger_filter_kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", k))])
    error_message = "sync_options.trigger_filter_kms_key_arns must be KMS key ARNs (arn:aws:kms:<region>:<account>:key/<id>)."
  }
  validation {
    condition     = var.sync_options.warm_throughput_max_write_units_per_second >= 0 && floor(var.sync_options.warm_throughput_max_write_units_per_second) == var.sync_options.warm_throughput_max_write_units_per_second
    error_message = "sync_options.warm_throughput_max_write_units_per_second must be a whole number >= 0."
  }
}

variable "lambda_package" {
  description = "Deployment package of every function (filename, optional source_code_hash); null uses the committed lambda_package/pitr.zip."
  type = object({
    filename         = string
    source_code_hash = optional(string)
  })
  default = null
}
