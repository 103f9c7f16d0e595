# The account, partition and region every mocked test runs in (`mock_provider "aws" { source =
# "./tests/mocks" }`); a test that needs other values sets them in its own mock_provider block.

mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012" }
}

mock_data "aws_partition" {
  defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
}

mock_data "aws_region" {
  defaults = { region = "eu-west-1", name = "eu-west-1" }
}
