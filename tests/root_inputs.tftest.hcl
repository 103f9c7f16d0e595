# Root module input contract: the source table preconditions, the target pattern guard, naming.
# The AWS provider is mocked. This file looks the table up by name (source_table = null), as for an
# existing table; the lookup describes the mock's table "orders" (tests/mocks/aws.tfmock.hcl). (The bad
# streams' messages, for a looked-up table and a table resource alike, are checked in
# tests/terraform/messages.)

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  source_table = null
}

run "good_table_passes" {
  # apply: the manifest holds computed values (event source mapping UUIDs), unknown at plan.
  command = apply

  assert {
    condition     = local.target_table_name_pattern == "orders-restored-*"
    error_message = "default target pattern should be <source>-restored-*"
  }
  assert {
    condition     = local.name_prefix == "pitr-orders"
    error_message = "short table names give a readable prefix"
  }
  assert {
    condition     = aws_ssm_parameter.manifest.name == "/dynamodb-pitr/orders/manifest"
    error_message = "manifest parameter path"
  }
  assert {
    condition     = jsondecode(aws_ssm_parameter.manifest.value).restore_record_parameter == "/dynamodb-pitr/orders/restore"
    error_message = "manifest names the restore record"
  }
  assert {
    condition     = jsondecode(aws_ssm_parameter.manifest.value).replay_from == "restore_point"
    error_message = "replay_from default"
  }
  assert {
    # A short name's manifest fits the free Standard tier (4096 characters).
    condition     = aws_ssm_parameter.manifest.tier == "Standard" && output.rendered.manifest_length == length(aws_ssm_parameter.manifest.value) && output.rendered.manifest_length <= 4096
    error_message = "a manifest of ${output.rendered.manifest_length} characters stays Standard"
  }
}

# S3 reserves these bucket name prefixes, and the spill bucket starts with name_prefix.
run "s3_reserved_prefix_xn_rejected" {
  command = plan

  variables {
    name_prefix = "xn--orders"
  }

  expect_failures = [var.name_prefix]
}

run "s3_reserved_prefix_sthree_rejected" {
  command = plan

  variables {
    name_prefix = "Sthree_orders" # lowercased, '_' as '-': "sthree-orders"
  }

  expect_failures = [var.name_prefix]
}

run "s3_reserved_prefix_demo_rejected" {
  command = plan

  variables {
    name_prefix = "amzn-s3-demo-orders"
  }

  expect_failures = [var.name_prefix]
}

run "prefix_near_reserved_accepted" {
  command = plan

  variables {
    name_prefix = "xn-orders"
  }

  assert {
    condition     = local.name_prefix == "xn-orders"
    error_message = "only the reserved prefixes are refused"
  }
}

run "new_image_stream_passes" {
  command = plan

  variables {
    source_table = { name = "orders", stream_enabled = true, stream_view_type = "NEW_IMAGE", point_in_time_recovery = [{ enabled = true }] }
  }
}

run "old_image_stream_fails" {
  command = plan

  variables {
    source_table = { name = "orders", stream_enabled = true, stream_view_type = "OLD_IMAGE", point_in_time_recovery = [{ enabled = true }] }
  }

  expect_failures = [terraform_data.source_table_guard]
}

run "pitr_off_warns" {
  command = plan

  variables {
    source_table = { name = "orders", stream_enabled = true, stream_view_type = "NEW_AND_OLD_IMAGES", point_in_time_recovery = [{ enabled = false }] }
  }

  # A failed check block is a warning, not an error; expect_failures proves it fired.
  expect_failures = [check.source_point_in_time_recovery]
}

run "pattern_matching_source_fails" {
  command = plan

  variables {
    target_table_name_pattern = "orders*"
  }

  expect_failures = [terraform_data.target_pattern_guard]
}

run "pattern_with_dot_is_literal" {
  command = plan

  variables {
    source_table_name         = "app.orders"
    target_table_name_pattern = "app.orders-r*"
  }

  assert {
    condition     = local.target_table_name_regex == "^app\\.orders-r.*$"
    error_message = "'.' must be escaped in the derived regex"
  }
  assert {
    condition     = local.name_prefix == "pitr-app-orders-${substr(sha1("app.orders"), 0, 6)}"
    error_message = "names with '.' get a sanitized, hashed prefix"
  }
}

run "long_table_name_gets_short_prefix" {
  command = plan

  variables {
    source_table_name = "a-very-long-table-name-for-the-orders-service-in-production"
  }

  assert {
    condition     = length(local.name_prefix) <= 32
    error_message = "derived prefix must fit the 32-character budget"
  }
}

# Each input's validation, all in one plan: every listed variable must be refused.
run "invalid_inputs_rejected" {
  command = plan

  variables {
    source_table_name         = "orders/with/slash"
    target_table_name_pattern = "**" # only wildcards
    replay_from               = "yesterday"
    tags                      = { "aws:owner" = "x" }
  }

  expect_failures = [var.source_table_name, var.target_table_name_pattern, var.replay_from, var.tags]
}

# The settings switches come from lambda_src/pitr/settings_sync/catalogue.json: a name it does not
# list is refused at plan (an object type would drop it silently), the others keep their default.
run "settings_unknown_switch_rejected" {
  command = plan

  variables {
    settings = { ttl = false, time_to_live = false }
  }

  expect_failures = [var.settings]
}

run "settings_null_switch_rejected" {
  command = plan

  variables {
    settings = { ttl = null }
  }

  expect_failures = [var.settings]
}

run "settings_switch_overrides_the_catalogue_default" {
  # apply: the manifest holds computed values (event source mapping UUIDs), unknown at plan.
  command = apply

  variables {
    settings = { ttl = false }
  }

  assert {
    condition = jsondecode(aws_ssm_parameter.manifest.value).settings_sync.settings == merge(
      { for s in local.settings_catalogue : s.name => s.default }, { ttl = false }
    )
    error_message = "the deployment's switches are the catalogue's defaults with var.settings applied"
  }
}
