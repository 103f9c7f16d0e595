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

variable "source_table_kms_key_arn" {
  description = "KMS key encrypting the source table (and so its stream) when it is a KMS key; the subscriber gets kms:Decrypt on it. null: AWS owned key, no grant."
  type        = string
  default     = null
}

variable "alarm_topic_arn" {
  description = "SNS topic the alarms notify; null creates alarms without actions."
  type        = string
  default     = null
}

################################################################################
# cdc_buffer
################################################################################

variable "buffer_standby_retention_seconds" {
  description = "Retention of the FIFO buffer while no restore is in flight (DESIGN 3.4). The restore workflow raises it to 14 days when it claims a restore and sets it back to this value at release; Terraform ignores later changes so an apply during a restore never cuts retention. It must exceed the restore detection delay plus the up to 15 minutes SQS takes to apply a retention change."
  type        = number
  default     = 14400
  nullable    = false

  validation {
    condition     = var.buffer_standby_retention_seconds >= 3600 && var.buffer_standby_retention_seconds <= 1209600 && floor(var.buffer_standby_retention_seconds) == var.buffer_standby_retention_seconds
    error_message = "buffer_standby_retention_seconds must be a whole number of seconds from 3600 (1 hour: detection delay plus the 15 minutes SQS takes to apply a retention change, with margin) to 1209600 (14 days, the SQS maximum)."
  }
}

variable "cdc_subscriber" {
  description = "Settings of the subscriber (stream -> buffer) and its stream mapping: memory (MB), timeout (s), batch_size (records per invocation), batching_window_seconds, parallelization_factor (concurrent batches per shard; order per item is kept), iterator_age_alarm_seconds (alarm when the oldest unread stream record is older)."
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
  description = "Settings of the replay writer (buffer -> restored table) and its mapping: memory (MB), timeout (s; the buffer's visibility timeout is 6x), batch_size (messages per invocation, at most 10 for FIFO), maximum_concurrency (of the mapping: the ceiling the restore workflow sizes replay under, and puts back at release), max_receive_count (deliveries before a message goes to the dead-letter queue), record_cache_seconds (restore record cache TTL), replay_start_margin_seconds (replay this much before the replay start too), lag_alarm_seconds (alarm when replay lags more)."
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

variable "lambda_package" {
  description = "Deployment package of every function (filename, optional source_code_hash); null uses the committed lambda_package/pitr.zip."
  type = object({
    filename         = string
    source_code_hash = optional(string)
  })
  default = null
}
