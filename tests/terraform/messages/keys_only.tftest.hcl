# Deliberately failing run (no expect_failures): tests/test_terraform.py runs this directory with
# `terraform test -test-directory=tests/terraform/messages` and checks that each run fails with the
# message an operator needs. The root's own `terraform test` does not look here.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  source_table_name = "orders"
}

run "keys_only" {
  command = plan

  override_data {
    target = data.aws_dynamodb_table.source
    values = {
      arn                    = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"
      stream_enabled         = true
      stream_arn             = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000"
      stream_view_type       = "KEYS_ONLY"
      point_in_time_recovery = [{ enabled = true, recovery_period_in_days = 35 }]
    }
  }
}
