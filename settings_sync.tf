################################################################################
# Settings copy: the settings a point-in-time restore drops, copied from the source to the restored table
################################################################################

locals {
  # What settings_sync may do beyond copying (the filter keys are for IAM only).
  sync_options = {
    trigger_filter_kms_key_arns                = var.trigger_filter_kms_key_arns
    warm_throughput_max_write_units_per_second = var.warm_throughput_max_write_units_per_second
    add_replicas_after_cutover                 = var.add_replicas_after_cutover
  }
}

locals {
  # Every sub-resource of a table: its indexes and its streams.
  source_table_arns = [local.source_table_arn, "${local.source_table_arn}/index/*", "${local.source_table_arn}/stream/*"]
  target_table_arns = [local.target_table_arn_pattern, "${local.target_table_arn_pattern}/index/*", "${local.target_table_arn_pattern}/stream/*"]

  # The copied settings (lambda_src/pitr/settings_sync/catalogue.json): the switch names and defaults
  # (variables.tf validates var.settings against them) and the DynamoDB actions each calls. A new
  # setting adds its entry there, not here.
  settings_catalogue = jsondecode(file("${path.module}/lambda_src/pitr/settings_sync/catalogue.json")).settings

  # Reads made on both tables (the target's current settings are compared before any change);
  # DescribeTable: every setting reads both tables' descriptions through the run's context.
  table_read_actions = distinct(concat(["dynamodb:DescribeTable"], flatten(local.settings_catalogue[*].dynamodb_reads)))

  # Writes made on the target only.
  table_write_actions = distinct(flatten(local.settings_catalogue[*].dynamodb_writes))

  # Denied on the source whatever else grants them: a mistaken target can never be the live table.
  source_denied_actions = concat(local.table_write_actions, [
    "dynamodb:DeleteTable",
    "dynamodb:UntagResource",
    "dynamodb:DeleteResourcePolicy",
    "dynamodb:DisableKinesisStreamingDestination",
    "dynamodb:RestoreTableToPointInTime",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
  ])

  # The deployment's switches: the catalogue's defaults, then what var.settings says.
  settings = merge({ for s in local.settings_catalogue : s.name => s.default }, var.settings)

  environment = {
    SOURCE_TABLE_NAME         = var.source_table_name
    TARGET_TABLE_NAME_PATTERN = local.target_table_name_pattern
    # The deployment's default switches; each call's input may override them.
    SETTINGS_SWITCHES = jsonencode(local.settings)
    # The warm throughput ceiling and the replica switch (the filter keys are for IAM only).
    SETTINGS_OPTIONS = jsonencode(local.sync_options)
  }

  # Replicas of a restored table live in the source's other Regions, under the target's name.
  replica_table_arns = [
    "arn:${local.partition}:dynamodb:*:${local.account_id}:table/${local.target_table_name_pattern}",
    "arn:${local.partition}:dynamodb:*:${local.account_id}:table/${local.target_table_name_pattern}/index/*",
  ]

  # Only when a trigger's filter is encrypted with a customer managed key: reading it needs
  # kms:Decrypt on that key, and a copy encrypted with the same key needs it too.
  filter_key_statements = slice([
    {
      Sid      = "DecryptTriggerFilters"
      Effect   = "Allow"
      Action   = ["kms:Decrypt"]
      Resource = var.trigger_filter_kms_key_arns
    },
  ], 0, length(var.trigger_filter_kms_key_arns) > 0 ? 1 : 0)

  # Only with add_replicas_after_cutover: what AWS requires to add a replica (global tables version
  # 2019.11.21): UpdateTable in the table's Region (granted above on the target) and, in the replica
  # Regions, CreateTable, CreateTableReplica and the item APIs replication uses; the first replica of
  # the account creates DynamoDB's replication service-linked role.
  replica_statements = slice([
    {
      Sid    = "AddReplicasOfTargetTables"
      Effect = "Allow"
      Action = [
        "dynamodb:CreateTable",
        "dynamodb:CreateTableReplica",
        "dynamodb:DescribeTable",
        "dynamodb:Scan",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "dynamodb:GetItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
      ]
      Resource = local.replica_table_arns
    },
    {
      Sid       = "CreateReplicationServiceLinkedRole"
      Effect    = "Allow"
      Action    = ["iam:CreateServiceLinkedRole"]
      Resource  = ["arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/replication.dynamodb.amazonaws.com/AWSServiceRoleForDynamoDBReplication"]
      Condition = { StringEquals = { "iam:AWSServiceName" = "replication.dynamodb.amazonaws.com" } }
    },
  ], 0, var.add_replicas_after_cutover ? 2 : 0)

  settings_sync_statements = [
    {
      Sid      = "ReadSourceTable"
      Effect   = "Allow"
      Action   = local.table_read_actions
      Resource = local.source_table_arns
    },
    {
      Sid      = "ReadAndWriteTargetTables"
      Effect   = "Allow"
      Action   = concat(local.table_read_actions, local.table_write_actions)
      Resource = local.target_table_arns
    },
    {
      Sid      = "DenyWritesOnSourceTable"
      Effect   = "Deny"
      Action   = local.source_denied_actions
      Resource = local.source_table_arns
    },
    {
      # Application Auto Scaling has no resource-level permissions for these actions and no
      # condition key naming the scaled resource, so "*" is the only value they accept. The code
      # only ever registers targets and policies for table/<target> resource ids.
      Sid    = "CopyAutoScaling"
      Effect = "Allow"
      Action = [
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:DescribeScalingPolicies",
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:PutScalingPolicy",
        "application-autoscaling:DescribeScheduledActions",
        "application-autoscaling:PutScheduledAction",
        "application-autoscaling:DeleteScheduledAction",
      ]
      Resource = ["*"]
    },
    {
      # Registering a DynamoDB scalable target without RoleARN uses this service-linked role; the
      # first registration in an account creates it. Nothing else may be created.
      Sid      = "CreateAutoScalingServiceLinkedRole"
      Effect   = "Allow"
      Action   = ["iam:CreateServiceLinkedRole"]
      Resource = ["arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable"]
      Condition = {
        StringEquals = { "iam:AWSServiceName" = "dynamodb.application-autoscaling.amazonaws.com" }
      }
    },
    {
      # Alarm names of the copies derive from the source's alarms, unknown at plan time: every alarm
      # of this account and region. Target-tracking policies also need these for their own alarms.
      # DescribeAlarms needs "*" only to see composite alarms; the function lists metric alarms.
      Sid      = "CopyAlarms"
      Effect   = "Allow"
      Action   = ["cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:ListTagsForResource", "cloudwatch:TagResource", "cloudwatch:EnableAlarmActions"]
      Resource = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:*"]
    },
    {
      # ListEventSourceMappings and CreateEventSourceMapping take no resource ("*" is required).
      Sid      = "ListAndCreateTriggers"
      Effect   = "Allow"
      Action   = ["lambda:ListEventSourceMappings", "lambda:CreateEventSourceMapping"]
      Resource = ["*"]
    },
    {
      # GetEventSourceMapping: the only read that shows an encrypted filter. Tags of a mapping are
      # read and set on its ARN.
      Sid      = "ReadAndUpdateTriggers"
      Effect   = "Allow"
      Action   = ["lambda:GetEventSourceMapping", "lambda:UpdateEventSourceMapping", "lambda:ListTags", "lambda:TagResource", "lambda:UntagResource"]
      Resource = ["arn:${local.partition}:lambda:${local.region}:${local.account_id}:event-source-mapping:*"]
    },
    {
      # The triggers' functions are whatever the source's mappings name: any function of the account.
      Sid      = "ReadTriggerFunctions"
      Effect   = "Allow"
      Action   = ["lambda:GetFunctionConfiguration"]
      Resource = ["arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:*"]
    },
    {
      # Checks whether each trigger's own role can read the target's stream (read-only).
      Sid      = "CheckTriggerRoles"
      Effect   = "Allow"
      Action   = ["iam:SimulatePrincipalPolicy", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies"]
      Resource = ["arn:${local.partition}:iam::${local.account_id}:role/*"]
    },
    {
      # Attached policies may be AWS managed (account "aws") or the account's own.
      Sid      = "ReadTriggerRolePolicies"
      Effect   = "Allow"
      Action   = ["iam:GetPolicy", "iam:GetPolicyVersion"]
      Resource = ["arn:${local.partition}:iam::aws:policy/*", "arn:${local.partition}:iam::${local.account_id}:policy/*"]
    },
    {
      # Reports the customer managed policies that name the source table. ListPolicies has no
      # resource type; the documents are read with GetPolicyVersion (granted above on policy/*).
      Sid      = "ListCustomerManagedPolicies"
      Effect   = "Allow"
      Action   = ["iam:ListPolicies"]
      Resource = ["*"]
    },
    {
      # What DynamoDB requires of the caller to describe and enable a Kinesis destination.
      Sid      = "UseKinesisDestinations"
      Effect   = "Allow"
      Action   = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:PutRecords"]
      Resource = ["arn:${local.partition}:kinesis:${local.region}:${local.account_id}:stream/*"]
    },
    {
      # kinesis:ListStreams (required by EnableKinesisStreamingDestination) takes no resource.
      Sid      = "ListKinesisStreams"
      Effect   = "Allow"
      Action   = ["kinesis:ListStreams"]
      Resource = ["*"]
    },
  ]
}

locals {
  settings_sync_function = {
    description       = "copies the settings a point-in-time restore drops from the source table to a restored table"
    memory_size       = var.settings_sync_memory_size
    timeout           = var.settings_sync_timeout
    environment       = local.environment
    policy_statements = concat(local.settings_sync_statements, local.filter_key_statements, local.replica_statements)
  }

  settings_sync_manifest = {
    function_name = local.function_names.settings_sync
    function_arn  = local.function_arns.settings_sync
    settings      = local.settings
  }
}
