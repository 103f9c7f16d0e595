################################################################################
# Source table
################################################################################

variable "source_table_name" {
  description = "Name of the DynamoDB table to protect; it needs a stream with new images."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.source_table_name))
    error_message = "source_table_name must be a DynamoDB table name: 3 to 255 characters from a-z, A-Z, 0-9, '_', '-' and '.'."
  }
}

variable "source_table" {
  description = "The source table's resource, if in this configuration (its stream is then checked at plan). null looks it up by name."
  type = object({
    name             = string
    stream_enabled   = optional(bool)
    stream_view_type = optional(string)
    stream_arn       = optional(string)
    point_in_time_recovery = optional(list(object({
      enabled = optional(bool)
    })))
    server_side_encryption = optional(list(object({
      enabled     = optional(bool)
      kms_key_arn = optional(string)
    })))
  })
  default = null
}

################################################################################
# Restore behaviour
################################################################################

variable "target_table_name_pattern" {
  description = "Glob ('*' the only wildcard) a restored table's name must match for the module to act on it; never the source. null means \"<source_table_name>-restored-*\"."
  type        = string
  default     = null

  validation {
    condition     = var.target_table_name_pattern == null || can(regex("^[a-zA-Z0-9_.*-]{1,255}$", var.target_table_name_pattern))
    error_message = "target_table_name_pattern may contain only DynamoDB table name characters (a-z, A-Z, 0-9, '_', '-', '.') and the wildcard '*', at most 255 characters."
  }

  validation {
    condition     = var.target_table_name_pattern == null || length(replace(coalesce(var.target_table_name_pattern, "x"), "*", "")) >= 3
    error_message = "target_table_name_pattern must hold at least 3 literal characters: a pattern that is only wildcards would let the module write to any table."
  }
}

variable "replay_from" {
  description = "\"restore_point\" (replay every change since the restore point) or \"restore_request\" (replay only the changes after the request)."
  type        = string
  default     = "restore_point"
  nullable    = false

  validation {
    condition     = contains(["restore_point", "restore_request"], var.replay_from)
    error_message = "replay_from must be \"restore_point\" or \"restore_request\"."
  }
}

################################################################################
# Naming and tagging
################################################################################

variable "name_prefix" {
  description = "Prefix of every resource name, unique per source table. null derives \"pitr-<source table>\"."
  type        = string
  default     = null

  validation {
    condition     = var.name_prefix == null || can(regex("^[a-zA-Z][a-zA-Z0-9_-]{0,31}$", var.name_prefix))
    error_message = "name_prefix must start with a letter, hold only a-z, A-Z, 0-9, '_' and '-', and be at most 32 characters (the longest suffix the module adds must still fit AWS's 64-character names)."
  }

  # The spill bucket's name starts with the prefix, lowercased with '_' as '-'. S3: "Bucket names must
  # not start with the prefix xn--", "... sthree-", "... amzn-s3-demo-". (The reserved suffixes,
  # -s3alias, --ol-s3, .mrap, --x-s3, --table-s3, cannot occur: the bucket name ends in the unique
  # digits S3 appends to bucket_prefix.)
  validation {
    condition     = var.name_prefix == null || !can(regex("^(xn--|sthree-|amzn-s3-demo-)", lower(replace(coalesce(var.name_prefix, "x"), "_", "-"))))
    error_message = "name_prefix must not start with \"xn--\", \"sthree-\" or \"amzn-s3-demo-\" (with '_' read as '-', any case): S3 reserves these bucket name prefixes, and the spill bucket is named after name_prefix."
  }
}

variable "ssm_prefix" {
  description = "SSM path of the manifest and the restore record, without leading or trailing '/'. null means \"dynamodb-pitr/<source_table_name>\"."
  type        = string
  default     = null

  validation {
    condition     = var.ssm_prefix == null || can(regex("^[a-zA-Z0-9_.-]+(/[a-zA-Z0-9_.-]+)*$", var.ssm_prefix))
    error_message = "ssm_prefix must be a '/'-separated path of a-z, A-Z, 0-9, '_', '.', '-' segments, without leading or trailing '/'."
  }

  # Bounds the manifest (the paths appear in it three times) under SSM's 8 KB; the default,
  # "dynamodb-pitr/" and a 255-character table name, is 269.
  validation {
    condition     = var.ssm_prefix == null || length(coalesce(var.ssm_prefix, "x")) <= 300
    error_message = "ssm_prefix must be at most 300 characters."
  }

  validation {
    condition     = var.ssm_prefix == null || !can(regex("^(?i)(aws|ssm)", coalesce(var.ssm_prefix, "x")))
    error_message = "ssm_prefix must not start with \"aws\" or \"ssm\": SSM reserves those prefixes."
  }
}

variable "tags" {
  description = "Tags for every taggable resource the module creates."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.tags) : !startswith(lower(k), "aws:")])
    error_message = "tags must not use keys starting with \"aws:\": AWS reserves that prefix."
  }
}

################################################################################
# Shared settings of every part
################################################################################

variable "kms_key_arn" {
  description = "ARN of a customer managed KMS key for everything the module encrypts. null: AWS keys, and a module-created key for a created topic."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>); aliases are not accepted because key policies and grants need the key itself."
  }
}

variable "lambda_package" {
  description = "Your own build of the functions' package (`make package`), at the same path for plan and apply. null uses the package shipped with the module."
  type = object({
    filename         = string
    source_code_hash = optional(string)
  })
  default = null

  validation {
    condition     = var.lambda_package == null || endswith(try(var.lambda_package.filename, ""), ".zip")
    error_message = "lambda_package.filename must be a .zip file."
  }
}

variable "lambda_log_retention_days" {
  description = "Retention of the functions' log groups, in days."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.lambda_log_retention_days)
    error_message = "lambda_log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "lambda_vpc_config" {
  description = "Subnets and security groups of the functions, with a route to the AWS APIs (docs/security.md). null: no VPC."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null

  validation {
    condition     = var.lambda_vpc_config == null || (length(try(var.lambda_vpc_config.subnet_ids, [])) > 0 && length(try(var.lambda_vpc_config.security_group_ids, [])) > 0)
    error_message = "lambda_vpc_config needs at least one subnet and one security group."
  }
}

################################################################################
# settings_sync: the settings copied to a restored table
################################################################################

variable "settings" {
  description = <<-EOT
    Which settings a restore drops are copied to the restored table: setting name => copy it, as
    `{ alarms = false }`. A setting not named keeps its default (all are on); a restore can override
    them. The names are those of lambda_src/pitr/settings_sync/catalogue.json, listed with what each
    copies in docs/architecture.md (Settings copy); any other name fails at plan.
  EOT
  type        = map(bool)
  default     = {}
  nullable    = false

  validation {
    condition     = length(setsubtract(keys(var.settings), local.settings_catalogue[*].name)) == 0
    error_message = "settings names unknown settings (${join(", ", sort(setsubtract(keys(var.settings), local.settings_catalogue[*].name)))}); the copied settings are: ${join(", ", local.settings_catalogue[*].name)}."
  }
  validation {
    condition     = alltrue([for v in values(var.settings) : v != null])
    error_message = "settings: each switch is true or false, not null (leave a setting out to keep its default)."
  }
}

variable "trigger_filter_kms_key_arns" {
  description = "ARNs of the KMS keys encrypting the source stream's trigger filters, for settings_sync to copy them."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for k in var.trigger_filter_kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", k))])
    error_message = "trigger_filter_kms_key_arns must be KMS key ARNs (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "warm_throughput_max_write_units_per_second" {
  description = "Most warm throughput, in write units per second, asked for the restored table when the backlog needs more than the source's. 0: the source's."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.warm_throughput_max_write_units_per_second >= 0 && floor(var.warm_throughput_max_write_units_per_second) == var.warm_throughput_max_write_units_per_second
    error_message = "warm_throughput_max_write_units_per_second must be a whole number >= 0."
  }
}

variable "add_replicas_after_cutover" {
  description = "Global tables: add the source's replica Regions to the restored table at cut-over. false only reports them."
  type        = bool
  default     = false
  nullable    = false
}

variable "settings_sync_memory_size" {
  description = "Memory of the settings_sync function, in MB."
  type        = number
  default     = 256
  nullable    = false

  validation {
    condition     = var.settings_sync_memory_size >= 128 && var.settings_sync_memory_size <= 10240
    error_message = "settings_sync_memory_size must be between 128 and 10240 MB."
  }
}

variable "settings_sync_timeout" {
  description = "Timeout of the settings_sync function, in seconds."
  type        = number
  default     = 900
  nullable    = false

  validation {
    condition     = var.settings_sync_timeout >= 60 && var.settings_sync_timeout <= 900
    error_message = "settings_sync_timeout must be between 60 and 900 seconds."
  }
}

################################################################################
# restore_workflow: the restore workflow and its notifications
################################################################################

variable "max_restore_wait_hours" {
  description = "Hours from the claim for the restored table to become ACTIVE and replay to catch up, before the restore fails."
  type        = number
  default     = 168
  nullable    = false

  validation {
    condition     = var.max_restore_wait_hours >= 1 && var.max_restore_wait_hours <= 720
    error_message = "max_restore_wait_hours must be between 1 and 720 (30 days)."
  }
}

variable "active_poll_cap_seconds" {
  description = "Longest delay, in seconds, from the restored table being ACTIVE to replay starting."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.active_poll_cap_seconds >= 10 && var.active_poll_cap_seconds <= 300
    error_message = "active_poll_cap_seconds must be between 10 and 300."
  }
}

variable "caught_up_lag_seconds" {
  description = "Replay lag, in seconds, under which cut-over can start."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.caught_up_lag_seconds >= 1 && var.caught_up_lag_seconds <= 3600
    error_message = "caught_up_lag_seconds must be between 1 and 3600."
  }
}

variable "cutover_reminder_hours" {
  description = "Hours between reminders to cut over or abort."
  type        = number
  default     = 24
  nullable    = false

  validation {
    condition     = var.cutover_reminder_hours >= 1 && var.cutover_reminder_hours <= 168 && floor(var.cutover_reminder_hours) == var.cutover_reminder_hours
    error_message = "cutover_reminder_hours must be a whole number of hours between 1 and 168."
  }
}

variable "drain_quiet_seconds" {
  description = "Seconds the buffer must stay empty at cut-over before replay stops."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.drain_quiet_seconds >= 10 && var.drain_quiet_seconds <= 600
    error_message = "drain_quiet_seconds must be between 10 and 600."
  }
}

variable "workflow_log_level" {
  description = "Log level of the restore workflow: ALL, ERROR, FATAL or OFF."
  type        = string
  default     = "ERROR"
  nullable    = false

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.workflow_log_level)
    error_message = "workflow_log_level must be ALL, ERROR, FATAL or OFF."
  }
}

variable "notification_topic_arn" {
  description = "ARN of an SNS topic for notifications and alarms, known at plan. null creates one."
  type        = string
  default     = null

  validation {
    condition     = var.notification_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.notification_topic_arn))
    error_message = "notification_topic_arn must be an SNS topic ARN (standard topic)."
  }
}

variable "notification_topic_kms_key_arn" {
  description = "ARN of the customer managed KMS key of notification_topic_arn, if any."
  type        = string
  default     = null

  validation {
    condition     = var.notification_topic_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.notification_topic_kms_key_arn))
    error_message = "notification_topic_kms_key_arn must be a KMS key ARN."
  }
}

variable "notification_emails" {
  description = "Email addresses to subscribe to the notification topic."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for e in var.notification_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "notification_emails must hold email addresses."
  }
}

################################################################################
# cdc_buffer: change capture and replay
################################################################################

variable "buffer_standby_retention_seconds" {
  description = "Retention of the buffer while no restore is in flight, in seconds: how old a restore point replay_from = \"restore_point\" can cover."
  type        = number
  default     = 14400
  nullable    = false

  validation {
    condition     = var.buffer_standby_retention_seconds >= 3600 && var.buffer_standby_retention_seconds <= 1209600 && floor(var.buffer_standby_retention_seconds) == var.buffer_standby_retention_seconds
    error_message = "buffer_standby_retention_seconds must be a whole number of seconds from 3600 (1 hour) to 1209600 (14 days, the SQS maximum)."
  }
}

variable "cdc_subscriber" {
  description = <<-EOT
    The subscriber (stream -> buffer):
      memory_size                - MB
      timeout                    - seconds
      batch_size                 - records per invocation
      batching_window_seconds    - seconds to gather records
      parallelization_factor     - concurrent batches per shard
      iterator_age_alarm_seconds - alarm threshold
  EOT
  type = object({
    memory_size                = optional(number, 256)
    timeout                    = optional(number, 60)
    batch_size                 = optional(number, 100)
    batching_window_seconds    = optional(number, 1)
    parallelization_factor     = optional(number, 1)
    iterator_age_alarm_seconds = optional(number, 600)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.cdc_subscriber.memory_size >= 128 && var.cdc_subscriber.memory_size <= 10240
    error_message = "cdc_subscriber.memory_size must be between 128 and 10240 MB."
  }
  validation {
    condition     = var.cdc_subscriber.timeout >= 10 && var.cdc_subscriber.timeout <= 900
    error_message = "cdc_subscriber.timeout must be between 10 and 900 seconds."
  }
  validation {
    condition     = var.cdc_subscriber.batch_size >= 1 && var.cdc_subscriber.batch_size <= 10000
    error_message = "cdc_subscriber.batch_size must be between 1 and 10000 (the DynamoDB stream mapping limit)."
  }
  validation {
    condition     = var.cdc_subscriber.batching_window_seconds >= 0 && var.cdc_subscriber.batching_window_seconds <= 300
    error_message = "cdc_subscriber.batching_window_seconds must be between 0 and 300."
  }
  validation {
    condition     = var.cdc_subscriber.parallelization_factor >= 1 && var.cdc_subscriber.parallelization_factor <= 10
    error_message = "cdc_subscriber.parallelization_factor must be between 1 and 10."
  }
  validation {
    condition     = var.cdc_subscriber.iterator_age_alarm_seconds >= 60
    error_message = "cdc_subscriber.iterator_age_alarm_seconds must be at least 60."
  }
}

variable "replay_writer" {
  description = <<-EOT
    The replay writer (buffer -> restored table):
      memory_size                 - MB
      timeout                     - seconds
      batch_size                  - messages per invocation
      maximum_concurrency         - ceiling: replay is sized to the restored table under it
      max_receive_count           - deliveries before the dead-letter queue
      record_cache_seconds        - restore record cache
      replay_start_margin_seconds - seconds replayed before the replay start
      lag_alarm_seconds           - alarm threshold
  EOT
  type = object({
    memory_size                 = optional(number, 512)
    timeout                     = optional(number, 60)
    batch_size                  = optional(number, 10)
    maximum_concurrency         = optional(number, 200)
    max_receive_count           = optional(number, 50)
    record_cache_seconds        = optional(number, 10)
    replay_start_margin_seconds = optional(number, 0)
    lag_alarm_seconds           = optional(number, 300)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.replay_writer.memory_size >= 128 && var.replay_writer.memory_size <= 10240
    error_message = "replay_writer.memory_size must be between 128 and 10240 MB."
  }
  validation {
    condition     = var.replay_writer.timeout >= 20 && var.replay_writer.timeout <= 900
    error_message = "replay_writer.timeout must be between 20 and 900 seconds (the writer keeps 10 s to report failures)."
  }
  validation {
    condition     = var.replay_writer.batch_size >= 1 && var.replay_writer.batch_size <= 10
    error_message = "replay_writer.batch_size must be between 1 and 10 (the limit for FIFO queues)."
  }
  validation {
    condition     = var.replay_writer.maximum_concurrency >= 2 && var.replay_writer.maximum_concurrency <= 1000
    error_message = "replay_writer.maximum_concurrency must be between 2 and 1000 (the SQS mapping's limits)."
  }
  validation {
    condition     = var.replay_writer.max_receive_count >= 5 && var.replay_writer.max_receive_count <= 1000
    error_message = "replay_writer.max_receive_count must be between 5 and 1000: a message that leaves for the dead-letter queue breaks its item's order, so give retries room."
  }
  validation {
    condition     = var.replay_writer.record_cache_seconds >= 1 && var.replay_writer.record_cache_seconds <= 300
    error_message = "replay_writer.record_cache_seconds must be between 1 and 300."
  }
  validation {
    condition     = var.replay_writer.replay_start_margin_seconds >= 0 && var.replay_writer.replay_start_margin_seconds <= 3600
    error_message = "replay_writer.replay_start_margin_seconds must be between 0 and 3600."
  }
  validation {
    condition     = var.replay_writer.lag_alarm_seconds >= 30
    error_message = "replay_writer.lag_alarm_seconds must be at least 30."
  }
}

################################################################################
# Observability
################################################################################

variable "create_dashboard" {
  description = "Create a CloudWatch dashboard of the pipeline."
  type        = bool
  default     = true
  nullable    = false
}
