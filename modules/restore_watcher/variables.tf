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
  description = "Name of the SSM parameter holding the restore record (written by the workflow)."
  type        = string
}

variable "manifest_parameter" {
  description = "Name of the SSM parameter holding the manifest."
  type        = string
}

variable "replay_from" {
  description = "restore_point or restore_request."
  type        = string
}

variable "buffer_queue_url" {
  description = "URL of the FIFO buffer queue."
  type        = string
}

variable "buffer_queue_arn" {
  description = "ARN of the FIFO buffer queue."
  type        = string
}

variable "stream_failure_queue_url" {
  description = "URL of the stream mapping's on-failure destination (a standard SQS queue encrypted with kms_key_arn or SQS-managed keys). plan_replay reads it without consuming it and keeps the latest coverage break in the coverage parameter."
  type        = string
}

variable "stream_failure_queue_arn" {
  description = "ARN of the stream mapping's on-failure destination queue (the waiter may only read it)."
  type        = string
}

variable "replay_mapping_uuid" {
  description = "UUID of the (disabled) SQS event source mapping that feeds the replay writer."
  type        = string
}

variable "stream_mapping_uuid" {
  description = "UUID of the stream event source mapping that feeds the subscriber (excluded from copied triggers)."
  type        = string
}

variable "settings_sync_function_arn" {
  description = "ARN of the settings_sync function."
  type        = string
}

################################################################################
# Parts this module drives
################################################################################

variable "buffer_standby_retention_seconds" {
  description = "Retention of the buffer queue in standby (seconds); the workflow sets it back at release."
  type        = number

  validation {
    condition     = var.buffer_standby_retention_seconds >= 60 && var.buffer_standby_retention_seconds <= 1209600
    error_message = "buffer_standby_retention_seconds must be between 60 and 1209600 (SQS limits)."
  }
}

variable "coverage_parameter" {
  description = "Name of the SSM parameter where the workflow keeps what bounds the next restore's coverage: replay_ended_at (the end of the last replay, written by the steps function) and coverage_break_at (the latest stream failure seen, written by the waiter's plan_replay). Workflow-managed, absent until one of them is written."
  type        = string
}

variable "replay_maximum_concurrency" {
  description = "Ceiling of the replay mapping's maximum concurrency (replay_writer.maximum_concurrency): the steps function sizes replay under it at replay start and puts it back when replay is switched off."
  type        = number
  default     = 200

  validation {
    condition     = var.replay_maximum_concurrency >= 2 && var.replay_maximum_concurrency <= 1000 && floor(var.replay_maximum_concurrency) == var.replay_maximum_concurrency
    error_message = "replay_maximum_concurrency must be a whole number from 2 to 1000 (the SQS mapping's limits)."
  }
}

variable "ledger_table_name" {
  description = "Name of the ordering guard's ledger table: every replayed item writes a row there too, so its write capacity bounds the replay the steps function sizes."
  type        = string
}

variable "ledger_table_arn" {
  description = "ARN of the ordering guard's ledger table (the steps function describes it when sizing replay)."
  type        = string
}

variable "warm_throughput_max_write_units_per_second" {
  description = "The pre-warm ceiling settings_sync applies (write units per second); the steps function sizes replay for a target pre-warmed up to it. 0: the source's warm throughput only."
  type        = number
  default     = 0

  validation {
    condition     = var.warm_throughput_max_write_units_per_second >= 0 && floor(var.warm_throughput_max_write_units_per_second) == var.warm_throughput_max_write_units_per_second
    error_message = "warm_throughput_max_write_units_per_second must be a whole number >= 0."
  }
}

variable "settings" {
  description = "Switches passed to settings_sync (setting name => copy it). Empty means settings_sync's own defaults."
  type        = map(bool)
  default     = {}
  nullable    = false
}

################################################################################
# Workflow behaviour
################################################################################

variable "max_restore_wait_hours" {
  description = "How long the workflow waits, from its claim, for the restored table to become ACTIVE and then for replay to catch up (one deadline for both) before it reports the restore as failed."
  type        = number
  default     = 168
  nullable    = false

  validation {
    condition     = var.max_restore_wait_hours >= 1 && var.max_restore_wait_hours <= 720
    error_message = "max_restore_wait_hours must be between 1 and 720 (30 days): the workflow history must stay far below Step Functions' 25,000-event limit."
  }
}

variable "active_poll_cap_seconds" {
  description = "Longest delay between the restored table becoming ACTIVE and replay being enabled: the waiter polls at most this many seconds minus 5 apart (5 s covers the workflow's own steps)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.active_poll_cap_seconds >= 10 && var.active_poll_cap_seconds <= 300
    error_message = "active_poll_cap_seconds must be between 10 and 300."
  }
}

variable "caught_up_lag_seconds" {
  description = "Replay counts as caught up when its lag stayed under this many seconds for two minutes."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.caught_up_lag_seconds >= 1 && var.caught_up_lag_seconds <= 3600
    error_message = "caught_up_lag_seconds must be between 1 and 3600."
  }
}

variable "cutover_reminder_hours" {
  description = "While caught up (or waiting for a decision on a coverage gap), remind the operator this often."
  type        = number
  default     = 24
  nullable    = false

  validation {
    condition     = var.cutover_reminder_hours >= 1 && var.cutover_reminder_hours <= 168 && floor(var.cutover_reminder_hours) == var.cutover_reminder_hours
    error_message = "cutover_reminder_hours must be a whole number of hours between 1 and 168."
  }
}

variable "drain_quiet_seconds" {
  description = "At cut-over the buffer must stay empty this long (after writes paused) before replay is disabled: covers stream delivery to the subscriber."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.drain_quiet_seconds >= 10 && var.drain_quiet_seconds <= 600
    error_message = "drain_quiet_seconds must be between 10 and 600."
  }
}

variable "drain_timeout_seconds" {
  description = "At cut-over, how long the drain may wait for the buffer to stay empty for drain_quiet_seconds before the workflow reports the cut-over blocked."
  type        = number
  default     = 900
  nullable    = false

  validation {
    condition     = var.drain_timeout_seconds >= 60 && var.drain_timeout_seconds <= 86400
    error_message = "drain_timeout_seconds must be between 60 and 86400."
  }
}

variable "workflow_log_level" {
  description = "Step Functions log level: ALL, ERROR, FATAL or OFF. Execution data is never logged (it holds the task token)."
  type        = string
  default     = "ERROR"
  nullable    = false

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.workflow_log_level)
    error_message = "workflow_log_level must be ALL, ERROR, FATAL or OFF."
  }
}

################################################################################
# Notifications
################################################################################

variable "notification_topic_arn" {
  description = "Existing SNS topic for notifications and alarms; null creates one (encrypted with kms_key_arn, or with a module-created key CloudWatch alarms can use). A topic you bring must let CloudWatch alarms publish and, if encrypted, its key must let this module's step function role use it (notification_topic_kms_key_arn)."
  type        = string
  default     = null

  validation {
    condition     = var.notification_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.notification_topic_arn))
    error_message = "notification_topic_arn must be an SNS topic ARN (standard topic)."
  }
}

variable "notification_topic_kms_key_arn" {
  description = "KMS key of the topic given in notification_topic_arn, when it is encrypted with a customer managed key: the workflow's step function gets kms:GenerateDataKey and kms:Decrypt on it."
  type        = string
  default     = null
}

variable "notification_emails" {
  description = "Email addresses subscribed to the notification topic (each must confirm the subscription)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for e in var.notification_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "notification_emails must hold email addresses."
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
