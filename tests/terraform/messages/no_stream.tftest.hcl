# Deliberately failing run (no expect_failures): tests/test_terraform.py runs this directory with
# `terraform test -test-directory=tests/terraform/messages` and checks that each run fails with the
# message an operator needs. The root's own `terraform test` does not look here.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  source_table_name = "orders"
}

# A table as a fresh CreateTable leaves it: no stream, point-in-time recovery off (the warning).
run "no_stream" {
  command = plan

  override_data {
    target = data.aws_dynamodb_table.source
    values = {
      arn                    = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"
      stream_enabled         = false
      stream_arn             = ""
      stream_view_type       = ""
      point_in_time_recovery = [{ enabled = false, recovery_period_in_days = 0 }]
    }
  }
}
