################################################################################
# Function
################################################################################

variable "function_name" {
  description = "Name of the Lambda function (also names its role, log group and archive)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1 to 64 characters from a-z, A-Z, 0-9, '_' and '-'."
  }
}

variable "description" {
  description = "Description of the function; put the table name last: past AWS's 256 characters it is cut there."
  type        = string
  default     = ""
}

variable "package" {
  description = "The function's deployment package: filename (a zip holding the pitr package at its root) and optionally source_code_hash (base64 SHA-256; computed from the file when null). null uses the module's committed lambda_package/pitr.zip."
  type = object({
    filename         = string
    source_code_hash = optional(string)
  })
  default = null
}

variable "handler" {
  description = "Handler in the pitr package, \"pitr.<module>.handler\"."
  type        = string

  validation {
    condition     = can(regex("^pitr(\\.[a-z_][a-z0-9_]*)+\\.handler$", var.handler))
    error_message = "handler must be \"pitr.<module>.handler\"."
  }
}

# Memory, timeout and log retention come from the root's inputs, validated there once (per function,
# within Lambda's and CloudWatch Logs' limits).

variable "memory_size" {
  description = "Memory in MB."
  type        = number
  default     = 256
}

variable "timeout" {
  description = "Timeout in seconds."
  type        = number
  default     = 60
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency; -1 for none."
  type        = number
  default     = -1
}

variable "environment" {
  description = "Environment variables (names and ARNs only: never secrets)."
  type        = map(string)
  default     = {}
}

################################################################################
# Permissions
################################################################################

variable "policy_statements" {
  description = "IAM policy statements (objects as in a policy document) the function needs beyond writing its own logs and traces."
  type        = any
}

################################################################################
# Shared settings
################################################################################

variable "log_retention_days" {
  description = "Retention of the function's log group in days."
  type        = number
  default     = 30
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for the log group and environment variables; null uses AWS owned keys."
  type        = string
  default     = null
}

variable "dead_letter_queue_arn" {
  description = "Standard SQS queue for asynchronous invocations that still fail after Lambda's two retries (the function's dead-letter queue); null for functions invoked only synchronously."
  type        = string
  default     = null
}

variable "vpc_config" {
  description = "Place the function in a VPC (subnets need a route to the AWS APIs it calls: NAT or VPC endpoints); null keeps it outside."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null
}

variable "tags" {
  description = "Tags for the function, role and log group."
  type        = map(string)
  default     = {}
}
