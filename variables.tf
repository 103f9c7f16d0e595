################################################################################
# Source table
################################################################################

variable "source_table_name" {
  description = "Name of the live DynamoDB table this module protects. It must have a stream with new images (NEW_IMAGE or NEW_AND_OLD_IMAGES) and should have point-in-time recovery on."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.source_table_name))
    error_message = "source_table_name must be a DynamoDB table name: 3 to 255 characters from a-z, A-Z, 0-9, '_', '-' and '.'."
  }
}

variable "source_table" {
  description = "The source table's resource, when the table is created in the same configuration: `source_table = aws_dynamodb_table.orders`. The module then takes the stream, point-in-time recovery and encryption settings from it, so a missing stream or a view type without new images fails at plan (a lookup of a table that is still being created happens only at apply). null looks the existing table up by source_table_name."
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
  description = "Glob ('*' is the only wildcard) that a restored table's name must match for the module to act on it: replay into it and copy settings to it. Also scopes the IAM write permissions. null means \"<source_table_name>-restored-*\". It must never match the source table itself."
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
  description = "Where replay starts. \"restore_point\" (clone/migrate): every change since the restore point is replayed, so the restored table becomes a live replica. \"restore_request\" (recover from an incident): only changes made after the restore was requested are replayed, so the incident's writes stay discarded."
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
  description = "Prefix for the names of every resource this module creates (functions, queues, roles, workflow, alarms). null derives \"pitr-<source table>\", shortened with a hash when the table name is long or has characters some AWS names reject. Must be unique per source table."
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
  description = "SSM parameter path (without leading or trailing '/') under which the module keeps the manifest (\"/<ssm_prefix>/manifest\") and the workflow keeps the restore record (\"/<ssm_prefix>/restore\"). null means \"dynamodb-pitr/<source_table_name>\"."
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
  description = "Tags added to every taggable resource the module creates. Keys starting with \"aws:\" are reserved by AWS."
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
  description = "Customer managed KMS key ARN used for everything the module encrypts (queues, spill bucket, logs, topic, Lambda environment). null uses AWS managed or owned keys, except for the notification topic, which gets a module-created key because CloudWatch alarms cannot publish to a topic encrypted with the AWS managed aws/sns key."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>); aliases are not accepted because key policies and grants need the key itself."
  }
}

variable "lambda_package" {
  description = "Deployment package of the functions, for pipelines that build their own artifact: filename (a zip with the pitr package at its root, as `make package` builds it) and optionally source_code_hash (base64 SHA-256; read from the file when null). Plan and apply must both see the file at this path. null uses the package committed with the module (lambda_package/pitr.zip), which travels with the module source."
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
  description = "Retention in days of the Lambda functions' log groups."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.lambda_log_retention_days)
    error_message = "lambda_log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "lambda_vpc_config" {
  description = "Place every Lambda function in a VPC. The subnets need a route to the AWS APIs the functions call (DynamoDB, DynamoDB Streams, SQS, S3, SSM, Lambda, CloudWatch, Application Auto Scaling, Step Functions): a NAT gateway or VPC endpoints. null keeps the functions outside any VPC."
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
    Which settings of the source table are copied to a restored table (a restore keeps keys,
    indexes, capacity and encryption, and drops these). All on by default; a restore can override
    them per call. Phase "restore" copies all but the side effects; phase "cutover" creates the
    triggers and Kinesis destinations.
      streams              - the stream, with the source's view type
      triggers             - Lambda event source mappings on the source's stream (except this module's
                             own subscriber), created on the target's stream at LATEST at cut-over
      ttl                  - time to live, same attribute
      pitr                 - point-in-time recovery, same recovery period
      autoscaling          - Application Auto Scaling targets and target-tracking policies of the table
                             and every GSI
      kinesis              - active Kinesis Data Streams destinations with their timestamp precision, at
                             cut-over
      tags                 - the table's tags, except AWS's own "aws:" tags
      deletion_protection  - deletion protection
      contributor_insights - CloudWatch Contributor Insights of the table and of each GSI
      resource_policy      - the table's and the stream's resource policies, ARNs rewritten to the target
      alarms               - CloudWatch alarms on the table's and its indexes' metrics (not auto
                             scaling's own TargetTracking-* alarms), re-pointed at the target
      scheduled_scaling    - Application Auto Scaling scheduled actions of the table and every GSI
      warm_throughput      - pre-warms the restored table and its GSIs to the source's warm throughput
      replicas             - reports the source's global table replica Regions (see
                             add_replicas_after_cutover)
      iam_policies         - reports customer managed and trigger role policies naming the source
  EOT
  type = object({
    streams              = optional(bool, true)
    triggers             = optional(bool, true)
    ttl                  = optional(bool, true)
    pitr                 = optional(bool, true)
    autoscaling          = optional(bool, true)
    kinesis              = optional(bool, true)
    tags                 = optional(bool, true)
    deletion_protection  = optional(bool, true)
    contributor_insights = optional(bool, true)
    resource_policy      = optional(bool, true)
    alarms               = optional(bool, true)
    scheduled_scaling    = optional(bool, true)
    warm_throughput      = optional(bool, true)
    replicas             = optional(bool, true)
    iam_policies         = optional(bool, true)
  })
  default  = {}
  nullable = false
}

variable "trigger_filter_kms_key_arns" {
  description = "ARNs of the customer managed KMS keys that encrypt the filters of the source stream's triggers (Lambda event source mappings). settings_sync gets kms:Decrypt on them to read and copy those filters; without it such a trigger is reported as failed with the grant it needs."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for k in var.trigger_filter_kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", k))])
    error_message = "trigger_filter_kms_key_arns must be KMS key ARNs (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "warm_throughput_max_write_units_per_second" {
  description = "Ceiling of the warm throughput (write units per second) asked for the restored table and each GSI when a restore's input says the replay backlog needs more than the source's (warm_write_units_per_second). 0 pre-warms to the source's warm throughput only."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.warm_throughput_max_write_units_per_second >= 0 && floor(var.warm_throughput_max_write_units_per_second) == var.warm_throughput_max_write_units_per_second
    error_message = "warm_throughput_max_write_units_per_second must be a whole number >= 0."
  }
}

variable "add_replicas_after_cutover" {
  description = "Global tables: whether phase cutover adds the source's replica Regions to the restored table (one Region per run, asynchronous; later runs of phase cutover report progress). Off (default): phase restore reports them with the command that adds them. On grants settings_sync the replica permissions in every Region for the target name pattern."
  type        = bool
  default     = false
  nullable    = false
}

variable "settings_sync_memory_size" {
  description = "Memory of the settings_sync function in MB."
  type        = number
  default     = 256
  nullable    = false

  validation {
    condition     = var.settings_sync_memory_size >= 128 && var.settings_sync_memory_size <= 10240
    error_message = "settings_sync_memory_size must be between 128 and 10240 MB."
  }
}

variable "settings_sync_timeout" {
  description = "Timeout of the settings_sync function in seconds. A run that reaches it (hundreds of alarms: CloudWatch throttles PutMetricAlarm) reports complete = false; running the same phase again finishes it."
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
  description = "How long the restore workflow waits, from its claim, for the restored table to become ACTIVE and then for replay to catch up (one deadline for both) before it reports the restore as failed. Default 7 days."
  type        = number
  default     = 168
  nullable    = false

  validation {
    condition     = var.max_restore_wait_hours >= 1 && var.max_restore_wait_hours <= 720
    error_message = "max_restore_wait_hours must be between 1 and 720 (30 days)."
  }
}

variable "active_poll_cap_seconds" {
  description = "Longest delay between the restored table becoming ACTIVE and replay being enabled."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.active_poll_cap_seconds >= 10 && var.active_poll_cap_seconds <= 300
    error_message = "active_poll_cap_seconds must be between 10 and 300."
  }
}

variable "caught_up_lag_seconds" {
  description = "Replay counts as caught up (and the operator is told cut-over can start) when its lag stays under this many seconds."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.caught_up_lag_seconds >= 1 && var.caught_up_lag_seconds <= 3600
    error_message = "caught_up_lag_seconds must be between 1 and 3600."
  }
}

variable "cutover_reminder_hours" {
  description = "While the restored table mirrors the source, remind the operator to cut over (or abort) this often. The workflow never cuts over by itself."
  type        = number
  default     = 24
  nullable    = false

  validation {
    condition     = var.cutover_reminder_hours >= 1 && var.cutover_reminder_hours <= 168 && floor(var.cutover_reminder_hours) == var.cutover_reminder_hours
    error_message = "cutover_reminder_hours must be a whole number of hours between 1 and 168."
  }
}

variable "drain_quiet_seconds" {
  description = "At cut-over, after writes are paused, the buffer must stay empty this long before replay is disabled (covers stream delivery)."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.drain_quiet_seconds >= 10 && var.drain_quiet_seconds <= 600
    error_message = "drain_quiet_seconds must be between 10 and 600."
  }
}

variable "workflow_log_level" {
  description = "Log level of the restore workflow: ALL, ERROR, FATAL or OFF (execution data is never logged)."
  type        = string
  default     = "ERROR"
  nullable    = false

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.workflow_log_level)
    error_message = "workflow_log_level must be ALL, ERROR, FATAL or OFF."
  }
}

variable "notification_topic_arn" {
  description = "Existing SNS topic for notifications and alarms. null creates one, encrypted with kms_key_arn or with a module-created customer managed key that CloudWatch alarms can use."
  type        = string
  default     = null

  validation {
    condition     = var.notification_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.notification_topic_arn))
    error_message = "notification_topic_arn must be an SNS topic ARN (standard topic)."
  }
}

variable "notification_topic_kms_key_arn" {
  description = "The customer managed KMS key encrypting notification_topic_arn, if any: the workflow gets permission to use it."
  type        = string
  default     = null

  validation {
    condition     = var.notification_topic_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.notification_topic_kms_key_arn))
    error_message = "notification_topic_kms_key_arn must be a KMS key ARN."
  }
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

################################################################################
# cdc_buffer: change capture and replay
################################################################################

variable "buffer_standby_retention_seconds" {
  description = "Retention of the FIFO buffer while no restore is in flight (default 4 hours). The restore workflow raises it to 14 days for a restore and sets it back to this value at release; Terraform ignores it after the buffer is created, so an apply during a restore never expires queued changes. Must exceed the restore detection delay plus the up to 15 minutes SQS takes to apply a retention change."
  type        = number
  default     = 14400
  nullable    = false

  validation {
    condition     = var.buffer_standby_retention_seconds >= 3600 && var.buffer_standby_retention_seconds <= 1209600 && floor(var.buffer_standby_retention_seconds) == var.buffer_standby_retention_seconds
    error_message = "buffer_standby_retention_seconds must be a whole number of seconds from 3600 (1 hour) to 1209600 (14 days, the SQS maximum)."
  }
}

variable "cdc_subscriber" {
  description = "Subscriber (stream -> buffer) settings, each optional: memory_size (MB, 256), timeout (s, 60), batch_size (records per invocation, 100), batching_window_seconds (1), parallelization_factor (concurrent batches per shard, 1; order per item is kept), iterator_age_alarm_seconds (600)."
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
  description = "Replay writer (buffer -> restored table) settings, each optional: memory_size (MB, 512), timeout (s, 60; the buffer's visibility timeout is 6x), batch_size (1 to 10, 10), maximum_concurrency (of its mapping, 50), max_receive_count (deliveries before the dead-letter queue, 50), record_cache_seconds (restore record cache, 10), replay_start_margin_seconds (0), lag_alarm_seconds (300)."
  type = object({
    memory_size                 = optional(number, 512)
    timeout                     = optional(number, 60)
    batch_size                  = optional(number, 10)
    maximum_concurrency         = optional(number, 50)
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
  description = "Create a CloudWatch dashboard named after name_prefix showing the pipeline: subscriber errors and iterator age, buffer backlog and age, dead-letter and failure queues, replay lag and throughput, replay writer errors and throttles, workflow executions."
  type        = bool
  default     = true
  nullable    = false
}
