# settings_sync.tf: IAM scoping (reads on the source, writes only on the target pattern, explicit
# deny on the source, "*" only where an API requires it), the service-linked role condition, and the
# switches reaching the function's environment and the manifest.

mock_provider "aws" {
  source = "./tests/mocks"
}

run "iam_is_scoped" {
  command = apply

  assert {
    condition = alltrue([
      for s in jsondecode(module.workflow_function["settings_sync"].policy).Statement : alltrue([
        for r in s.Resource : startswith(r, "arn:aws:dynamodb:eu-west-1:123456789012:table/orders-restored-*")
      ]) if s.Sid == "ReadAndWriteTargetTables"
    ])
    error_message = "table writes must be limited to table/<target pattern> (and its indexes and streams)"
  }
  assert {
    condition = length([
      for s in jsondecode(module.workflow_function["settings_sync"].policy).Statement : s
      if s.Effect == "Allow" && contains(flatten([s.Action]), "dynamodb:UpdateTable") && anytrue([for r in s.Resource : strcontains(r, "table/orders") && !strcontains(r, "table/orders-restored-*")])
    ]) == 0
    error_message = "no Allow statement may grant UpdateTable on the source table"
  }
  assert {
    condition = alltrue([
      for s in jsondecode(module.workflow_function["settings_sync"].policy).Statement : contains(
        ["WriteTraces", "CopyAutoScaling", "ListAndCreateTriggers", "ListKinesisStreams", "ListCustomerManagedPolicies"], s.Sid
      ) if contains(s.Resource, "*")
    ])
    error_message = "\"*\" resources only for APIs that accept nothing else (each has a comment in main.tf)"
  }
  assert {
    condition = alltrue([
      for s in jsondecode(module.workflow_function["settings_sync"].policy).Statement : alltrue([
        for r in s.Resource : contains([
          "arn:aws:dynamodb:eu-west-1:123456789012:table/orders",
          "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/index/*",
          "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/*",
        ], r)
      ]) && !contains(s.Action, "dynamodb:UpdateTable") if s.Sid == "ReadSourceTable"
    ])
    error_message = "the source table is only read"
  }
}

run "source_writes_are_denied" {
  command = apply

  assert {
    condition = length([
      for s in jsondecode(module.workflow_function["settings_sync"].policy).Statement : s
      if s.Effect == "Deny"
      && contains(s.Resource, "arn:aws:dynamodb:eu-west-1:123456789012:table/orders")
      && contains(s.Resource, "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/index/*")
      && contains(s.Resource, "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/*")
      && length(setsubtract(local.table_write_actions, s.Action)) == 0
      && contains(s.Action, "dynamodb:DeleteTable")
    ]) == 1
    error_message = "an explicit Deny must cover every write the function makes, on the source table, its indexes and streams"
  }
}

run "service_linked_role_only_for_auto_scaling" {
  command = apply

  assert {
    condition = alltrue([
      for s in jsondecode(module.workflow_function["settings_sync"].policy).Statement :
      s.Condition.StringEquals["iam:AWSServiceName"] == "dynamodb.application-autoscaling.amazonaws.com"
      && length(s.Resource) == 1
      && endswith(s.Resource[0], "role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable")
      if contains(flatten([s.Action]), "iam:CreateServiceLinkedRole") && s.Sid != "CreateReplicationServiceLinkedRole"
    ])
    error_message = "iam:CreateServiceLinkedRole only for DynamoDB auto scaling's role, with the service name condition"
  }
  assert {
    condition = length([
      for s in jsondecode(module.workflow_function["settings_sync"].policy).Statement : s if contains(flatten([s.Action]), "iam:PassRole")
    ]) == 0
    error_message = "no iam:PassRole: scalable targets use the service-linked role and mappings the function's own role"
  }
}

run "switches_default_on" {
  command = apply

  assert {
    condition     = jsondecode(local.environment.SETTINGS_SWITCHES) == { for s in local.settings_catalogue : s.name => s.default } && length(local.settings_catalogue) >= 15
    error_message = "every switch of the catalogue is there, with the catalogue's default"
  }
  assert {
    condition     = local.settings_sync_manifest.settings == jsondecode(local.environment.SETTINGS_SWITCHES)
    error_message = "the manifest shows the switches the function runs with"
  }
  assert {
    condition     = local.environment.SOURCE_TABLE_NAME == "orders" && local.environment.TARGET_TABLE_NAME_PATTERN == "orders-restored-*"
    error_message = "the function knows its source and the target pattern"
  }
  assert {
    condition     = module.workflow_function["settings_sync"].function_name == "pitr-orders-settings-sync" && local.settings_sync_manifest.function_arn == "arn:aws:lambda:eu-west-1:123456789012:function:pitr-orders-settings-sync"
    error_message = "function name and ARN in the outputs and the manifest"
  }
}

run "switches_reach_environment_and_manifest" {
  command = apply

  variables {
    settings = { alarms = false, kinesis = false }
  }

  assert {
    condition     = jsondecode(local.environment.SETTINGS_SWITCHES).alarms == false && jsondecode(local.environment.SETTINGS_SWITCHES).kinesis == false
    error_message = "switched-off settings reach the function's environment"
  }
  assert {
    condition     = jsondecode(local.environment.SETTINGS_SWITCHES).ttl == true && local.settings_sync_manifest.settings.alarms == false
    error_message = "the others stay on, and the manifest agrees"
  }
}

run "manifest_known_at_plan" {
  command = plan

  assert {
    condition     = local.settings_sync_manifest.function_name == "pitr-orders-settings-sync" && local.settings_sync_manifest.settings.ttl
    error_message = "the manifest must be known at plan time (the root's SSM parameter and its tests read it)"
  }
}

run "timeout_is_validated" {
  command = plan

  variables {
    settings_sync_timeout = 901
  }

  expect_failures = [var.settings_sync_timeout]
}

run "replica_and_filter_key_grants_only_when_asked" {
  command = apply

  assert {
    condition = length([
      for s in jsondecode(module.workflow_function["settings_sync"].policy).Statement : s
      if contains(flatten([s.Action]), "dynamodb:CreateTableReplica") || contains(flatten([s.Action]), "kms:Decrypt")
    ]) == 0
    error_message = "no replica or filter-key permissions unless switched on / keys given"
  }
  assert {
    condition     = jsondecode(local.environment.SETTINGS_OPTIONS).add_replicas_after_cutover == false && jsondecode(local.environment.SETTINGS_OPTIONS).warm_throughput_max_write_units_per_second == 0
    error_message = "replicas are off and the warm throughput ceiling is 0 by default"
  }
}

run "replicas_switched_on" {
  command = apply

  variables {
    add_replicas_after_cutover                 = true
    trigger_filter_kms_key_arns                = ["arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"]
    warm_throughput_max_write_units_per_second = 40000
  }

  assert {
    condition = alltrue([
      for s in jsondecode(module.workflow_function["settings_sync"].policy).Statement : alltrue([
        for r in s.Resource : startswith(r, "arn:aws:dynamodb:*:123456789012:table/orders-restored-*")
      ]) if s.Sid == "AddReplicasOfTargetTables"
    ]) && length([for s in jsondecode(module.workflow_function["settings_sync"].policy).Statement : s if s.Sid == "AddReplicasOfTargetTables"]) == 1
    error_message = "replica permissions exist when switched on, only on the target pattern's tables"
  }
  assert {
    condition = alltrue([
      for s in jsondecode(module.workflow_function["settings_sync"].policy).Statement :
      s.Condition.StringEquals["iam:AWSServiceName"] == "replication.dynamodb.amazonaws.com"
      && endswith(s.Resource[0], "role/aws-service-role/replication.dynamodb.amazonaws.com/AWSServiceRoleForDynamoDBReplication")
      if s.Sid == "CreateReplicationServiceLinkedRole"
    ])
    error_message = "the replication service-linked role only, with the service name condition"
  }
  assert {
    condition = [
      for s in jsondecode(module.workflow_function["settings_sync"].policy).Statement : s.Resource if contains(flatten([s.Action]), "kms:Decrypt")
    ] == [["arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"]]
    error_message = "kms:Decrypt only on the given filter keys"
  }
  assert {
    condition     = jsondecode(local.environment.SETTINGS_OPTIONS).add_replicas_after_cutover == true && jsondecode(local.environment.SETTINGS_OPTIONS).warm_throughput_max_write_units_per_second == 40000
    error_message = "the switch and the ceiling reach the function"
  }
}

run "filter_keys_are_validated" {
  command = plan

  variables {
    trigger_filter_kms_key_arns = ["alias/my-key"]
  }

  expect_failures = [var.trigger_filter_kms_key_arns]
}

run "warm_ceiling_is_validated" {
  command = plan

  variables {
    warm_throughput_max_write_units_per_second = -1
  }

  expect_failures = [var.warm_throughput_max_write_units_per_second]
}
