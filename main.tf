################################################################################
# Source table and environment
################################################################################

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

# Read only when the table is not given as a resource: a data source whose arguments reference a
# resource with planned changes (the table created in the same configuration) is read at apply, so its
# checks would only fire then.
data "aws_dynamodb_table" "source" {
  count = var.source_table == null ? 1 : 0

  name = var.source_table_name
}

locals {
  # What the module needs to know about the source table, from the resource when given (known at plan
  # for everything its configuration sets) or from the data source.
  source_from_resource = var.source_table != null
  source_lookup        = one(data.aws_dynamodb_table.source)
  source = local.source_from_resource ? {
    # The resource's arn is unknown until the table exists; the ARN is fully determined by its name.
    arn              = "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${var.source_table_name}"
    stream_enabled   = coalesce(var.source_table.stream_enabled, false)
    stream_view_type = var.source_table.stream_view_type
    stream_arn       = var.source_table.stream_arn
    pitr_enabled     = coalesce(try(var.source_table.point_in_time_recovery[0].enabled, null), false)
    sse_enabled      = coalesce(try(var.source_table.server_side_encryption[0].enabled, null), false)
    sse_kms_key_arn  = try(var.source_table.server_side_encryption[0].kms_key_arn, null)
    } : {
    arn              = local.source_lookup.arn
    stream_enabled   = coalesce(local.source_lookup.stream_enabled, false)
    stream_view_type = local.source_lookup.stream_view_type
    stream_arn       = local.source_lookup.stream_arn
    pitr_enabled     = coalesce(try(local.source_lookup.point_in_time_recovery[0].enabled, null), false)
    sse_enabled      = coalesce(try(local.source_lookup.server_side_encryption[0].enabled, null), false)
    sse_kms_key_arn  = try(local.source_lookup.server_side_encryption[0].kms_key_arn, null)
  }
  source_stream_view_type = coalesce(local.source.stream_view_type, "NONE")
  # The key encrypting the table (and so its stream), when it is a KMS key: reading the stream needs
  # kms:Decrypt on it (aws-cdk's grantStreamRead adds it, aws/aws-cdk#23400). Enabled with no ARN
  # given means the AWS managed aws/dynamodb key, whose ARN AWS reports once the table exists.
  source_table_kms_key_arn = local.source.sse_enabled ? local.source.sse_kms_key_arn : null
}

# The stream checks, at plan whenever the table's stream settings are known then: always for an
# existing table (data source read at plan), and for a table created in the same configuration when
# it is given as `source_table`.
resource "terraform_data" "source_table_guard" {
  input = var.source_table_name

  lifecycle {
    precondition {
      condition     = !local.source_from_resource || var.source_table.name == var.source_table_name
      error_message = "source_table is the resource of table ${try(var.source_table.name, "?")}, but source_table_name is ${var.source_table_name}: give the same table to both."
    }
    precondition {
      condition     = local.source.stream_enabled == true && (local.source_from_resource || (local.source.stream_arn != null && local.source.stream_arn != ""))
      error_message = "Table ${var.source_table_name} has no DynamoDB stream. The module buffers changes from the stream: enable it with stream_enabled = true and stream_view_type = \"NEW_AND_OLD_IMAGES\" (or \"NEW_IMAGE\") on the table."
    }
    precondition {
      condition     = local.source.stream_enabled != true || contains(["NEW_IMAGE", "NEW_AND_OLD_IMAGES"], local.source_stream_view_type)
      error_message = "Table ${var.source_table_name} has stream view type ${local.source_stream_view_type}, which carries no new item images, so changes cannot be replayed. Set stream_view_type = \"NEW_AND_OLD_IMAGES\" (or \"NEW_IMAGE\"); changing it replaces the stream."
    }
  }
}

################################################################################
# Names shared by every part
################################################################################

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  source_table_arn  = local.source.arn
  source_stream_arn = local.source.stream_arn

  # Short, AWS-name-safe prefix: Lambda, IAM and EventBridge names allow neither '.' nor 64+ characters.
  sanitized_table = replace(var.source_table_name, ".", "-")
  default_prefix = (
    local.sanitized_table == var.source_table_name && length(var.source_table_name) <= 24
    ? "pitr-${var.source_table_name}"
    : "pitr-${substr(local.sanitized_table, 0, 17)}-${substr(sha1(var.source_table_name), 0, 6)}"
  )
  name_prefix = coalesce(var.name_prefix, local.default_prefix)

  ssm_prefix                = coalesce(var.ssm_prefix, "dynamodb-pitr/${var.source_table_name}")
  manifest_parameter_name   = "/${local.ssm_prefix}/manifest"
  restore_record_parameter  = "/${local.ssm_prefix}/restore"
  target_table_name_pattern = coalesce(var.target_table_name_pattern, "${var.source_table_name}-restored-*")
  target_table_name_regex   = "^${replace(replace(local.target_table_name_pattern, ".", "\\."), "*", ".*")}$"
  pattern_matches_source    = can(regex(local.target_table_name_regex, var.source_table_name))
  target_table_arn_pattern  = "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${local.target_table_name_pattern}"
  function_arn_prefix       = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function"
  parameter_arn_prefix      = "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter"
  source_pitr_enabled       = local.source.pitr_enabled

  tags = merge(var.tags, {
    "dynamodb-pitr-restore:source-table" = var.source_table_name
  })
}

# The pattern is checked against the source name here rather than in variable validation:
# cross-variable validation needs Terraform 1.9 and the module supports 1.7.
resource "terraform_data" "target_pattern_guard" {
  input = local.target_table_name_pattern

  lifecycle {
    precondition {
      condition     = !local.pattern_matches_source
      error_message = "target_table_name_pattern \"${local.target_table_name_pattern}\" matches the source table ${var.source_table_name} itself: the module would replay into, and copy settings onto, the live table. Use a pattern that only restored tables match, such as \"${var.source_table_name}-restored-*\"."
    }
  }
}

check "source_point_in_time_recovery" {
  assert {
    condition     = local.source_pitr_enabled
    error_message = "Point-in-time recovery is off on ${var.source_table_name}: there is nothing to restore from until it is on (point_in_time_recovery { enabled = true } on the table). The module deploys anyway, so the buffer is ready when it is."
  }
}

################################################################################
# Shared names and constants of the parts (cdc_buffer.tf, restore_workflow.tf, settings_sync.tf)
################################################################################

locals {
  # SQS: "MessageRetentionPeriod: ... from 60 seconds (1 minute) to 1,209,600 seconds (14 days)". The
  # workflow raises the buffer to it during a restore; the dead-letter and failure queues keep it.
  # (Variable validations cannot read locals before Terraform 1.9: they write 1209600 themselves, and
  # tests/test_terraform.py checks that they agree with this value.)
  sqs_max_retention_seconds = 1209600

  # The period of every alarm's metrics and of the dashboard's graphs: CloudWatch's standard resolution.
  metric_period_seconds = 60

  coverage_parameter = "/${local.ssm_prefix}/coverage"

  restore_record_parameter_arn = "${local.parameter_arn_prefix}${local.restore_record_parameter}"
  coverage_parameter_arn       = "${local.parameter_arn_prefix}${local.coverage_parameter}"
}

################################################################################
# Functions: one per Python module of the pitr package
################################################################################

locals {
  # The rule for every function: the function "<prefix>-<module, '_' as '-'>" runs
  # "pitr.<module>.handler". Its role and log group take the same name (modules/lambda_function).
  function_modules = ["cdc_subscriber", "replay_writer", "restore_waiter", "restore_steps", "settings_sync"]
  function_names   = { for module in local.function_modules : module => "${local.name_prefix}-${replace(module, "_", "-")}" }
  # Known at plan (built from names), for the manifest and for what must not wait for the functions.
  function_arns = { for module, name in local.function_names : module => "${local.function_arn_prefix}:${name}" }

  # What differs per function; each part's file defines its own. Two calls, because the workflow's
  # functions depend on the data path's (the steps function switches the replay writer's mapping):
  # the instances of one module call are expanded together.
  data_path_functions = {
    cdc_subscriber = local.cdc_subscriber_function
    replay_writer  = local.replay_writer_function
  }
  workflow_functions = {
    restore_waiter = local.restore_waiter_function
    restore_steps  = local.restore_steps_function
    settings_sync  = local.settings_sync_function
  }
  # Both calls' instances, by Python module, for outputs and tests.
  functions = merge(module.data_path_function, module.workflow_function)
}

module "data_path_function" {
  source   = "./modules/lambda_function"
  for_each = local.data_path_functions

  function_name         = local.function_names[each.key]
  handler               = "pitr.${each.key}.handler"
  description           = "dynamodb-pitr-restore: ${each.value.description}. Table: ${var.source_table_name}"
  memory_size           = each.value.memory_size
  timeout               = each.value.timeout
  environment           = each.value.environment
  policy_statements     = each.value.policy_statements
  dead_letter_queue_arn = try(each.value.dead_letter_queue_arn, null)

  package            = var.lambda_package
  log_retention_days = var.lambda_log_retention_days
  kms_key_arn        = var.kms_key_arn
  vpc_config         = var.lambda_vpc_config
  tags               = local.tags
}

module "workflow_function" {
  source   = "./modules/lambda_function"
  for_each = local.workflow_functions

  function_name         = local.function_names[each.key]
  handler               = "pitr.${each.key}.handler"
  description           = "dynamodb-pitr-restore: ${each.value.description}. Table: ${var.source_table_name}"
  memory_size           = each.value.memory_size
  timeout               = each.value.timeout
  environment           = each.value.environment
  policy_statements     = each.value.policy_statements
  dead_letter_queue_arn = try(each.value.dead_letter_queue_arn, null)

  package            = var.lambda_package
  log_retention_days = var.lambda_log_retention_days
  kms_key_arn        = var.kms_key_arn
  vpc_config         = var.lambda_vpc_config
  tags               = local.tags
}

################################################################################
# Manifest: how pitrctl and the workflow find every part of this deployment
################################################################################

# The pattern guard's precondition fails the plan as a whole: nothing else needs to depend on it.
locals {
  # Each part contributes its own names and ARNs; the root adds what they share.
  manifest = merge(
    local.manifest_base,
    { cdc_buffer = local.cdc_buffer_manifest },
    { settings_sync = local.settings_sync_manifest },
    { restore_watcher = local.restore_workflow_manifest },
  )

  manifest_base = {
    version                   = 1
    source_table_name         = var.source_table_name
    source_table_arn          = local.source_table_arn
    source_stream_arn         = local.source_stream_arn
    target_table_name_pattern = local.target_table_name_pattern
    replay_from               = var.replay_from
    name_prefix               = local.name_prefix
    restore_record_parameter  = local.restore_record_parameter
    region                    = local.region
    account_id                = local.account_id
  }
}

locals {
  # AWS: "Standard tier parameters support a maximum parameter value of 4096 characters" (advanced: 8 KB).
  # The manifest passes 4 KB for long table names, patterns and SSM paths, so it moves to the
  # Advanced tier only then (an Advanced parameter costs a monthly fee; a Standard one does not).
  manifest_json           = jsonencode(local.manifest)
  manifest_standard_limit = 4096
  manifest_advanced_limit = 8192
  manifest_needs_advanced = length(local.manifest_json) > local.manifest_standard_limit
  manifest_tier           = local.manifest_needs_advanced ? "Advanced" : "Standard"
}

resource "aws_ssm_parameter" "manifest" {
  #checkov:skip=CKV2_AWS_34:The manifest holds only resource names and ARNs, no secrets; operators and pitrctl read it without a KMS grant.
  name        = local.manifest_parameter_name
  description = "dynamodb-pitr-restore manifest: names and ARNs of the deployment (read by pitrctl and the restore workflow). Table: ${var.source_table_name}"
  type        = "String"
  tier        = local.manifest_tier
  value       = local.manifest_json
  tags        = local.tags

  lifecycle {
    precondition {
      condition     = length(local.manifest_json) <= local.manifest_advanced_limit
      error_message = "The deployment manifest is ${length(local.manifest_json)} characters, over the 8 KB SSM parameters allow: shorten ssm_prefix or target_table_name_pattern."
    }
  }

  depends_on = [terraform_data.target_pattern_guard, terraform_data.source_table_guard]
}
