# examples/existing_table: the module only looks the table up, so its lookup is overridden with what
# AWS would return for a table created elsewhere; no table resource exists in this configuration. The
# names the module derives from the table name are checked once, by the root's tests and examples/basic.

mock_provider "aws" {
  source = "../../tests/mocks"
}

override_data {
  target = module.payments_pitr.data.aws_dynamodb_table.source
  values = {
    arn                    = "arn:aws:dynamodb:eu-west-1:123456789012:table/payments"
    stream_enabled         = true
    stream_arn             = "arn:aws:dynamodb:eu-west-1:123456789012:table/payments/stream/2025-06-01T00:00:00.000"
    stream_view_type       = "NEW_IMAGE"
    point_in_time_recovery = [{ enabled = true, recovery_period_in_days = 7 }]
  }
}

run "looked_up_table_is_wired_everywhere" {
  # plan suffices here: the table is not created by this configuration, so its lookup is known.
  command = plan

  assert {
    condition     = output.source_table_arn == "arn:aws:dynamodb:eu-west-1:123456789012:table/payments"
    error_message = "the module must use the looked-up table's ARN"
  }
  assert {
    condition     = output.source_stream_arn == "arn:aws:dynamodb:eu-west-1:123456789012:table/payments/stream/2025-06-01T00:00:00.000"
    error_message = "the module must read the looked-up table's stream"
  }
}

run "own_target_pattern" {
  command = plan

  variables {
    target_table_name_pattern = "payments-recovered-*"
  }

  assert {
    condition     = output.target_table_name_pattern == "payments-recovered-*"
    error_message = "the given pattern is used as is"
  }
}
