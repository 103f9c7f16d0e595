# The account, partition and region every mocked test runs in (`mock_provider "aws" { source =
# "./tests/mocks" }`), and the table a lookup describes; a test that needs other values sets them in its
# own mock_provider block or overrides the lookup (override_data replaces every value it lists and
# leaves the rest random, so an override lists them all).

mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012" }
}

mock_data "aws_partition" {
  defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
}

mock_data "aws_region" {
  defaults = { region = "eu-west-1", name = "eu-west-1" }
}

# The table a looked-up source (source_table = null) describes unless a test overrides a field: "orders",
# streaming new and old images, with point-in-time recovery on.
mock_data "aws_dynamodb_table" {
  defaults = {
    arn                    = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"
    stream_enabled         = true
    stream_arn             = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000"
    stream_view_type       = "NEW_AND_OLD_IMAGES"
    point_in_time_recovery = [{ enabled = true, recovery_period_in_days = 35 }]
  }
}
