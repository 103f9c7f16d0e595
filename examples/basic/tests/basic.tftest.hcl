# examples/basic: one table, module defaults; the module gets the table as the resource (source_table).

mock_provider "aws" {
  source = "../../tests/mocks"
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:eu-west-1:123456789012:mocked-queue" }
  }
}

run "table_has_what_the_module_needs" {
  # apply: the table's computed values (its stream ARN) are known then.
  command = apply

  assert {
    condition     = aws_dynamodb_table.orders.stream_enabled && aws_dynamodb_table.orders.stream_view_type == "NEW_AND_OLD_IMAGES"
    error_message = "the example table must stream new images"
  }
  assert {
    condition     = aws_dynamodb_table.orders.point_in_time_recovery[0].enabled
    error_message = "the example table must have PITR on"
  }
}

run "module_deploys_with_defaults" {
  command = apply

  assert {
    condition     = output.manifest_parameter_name == "/dynamodb-pitr/orders/manifest"
    error_message = "manifest parameter path"
  }
  assert {
    condition     = output.target_table_name_pattern == "orders-restored-*"
    error_message = "default target pattern"
  }
  assert {
    condition     = output.dashboard_name == "pitr-orders"
    error_message = "the dashboard is on by default and named after the prefix"
  }
  assert {
    condition = output.function_names == {
      cdc_subscriber = "pitr-orders-cdc-subscriber"
      replay_writer  = "pitr-orders-replay-writer"
      settings_sync  = "pitr-orders-settings-sync"
      restore_waiter = "pitr-orders-restore-waiter"
      restore_steps  = "pitr-orders-restore-steps"
    }
    error_message = "function names by role"
  }
  assert {
    condition     = output.notification_topic_arn == "arn:aws:sns:eu-west-1:123456789012:pitr-orders-notifications"
    error_message = "the module creates its topic when none is given"
  }
}
