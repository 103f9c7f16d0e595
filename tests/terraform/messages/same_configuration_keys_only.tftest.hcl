# Deliberately failing run (no expect_failures), checked by tests/test_terraform.py: the table created
# in the same configuration and given as source_table, with a KEYS_ONLY stream, fails at plan.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { region = "eu-west-1", name = "eu-west-1" }
  }
}

run "same_configuration_keys_only" {
  command = plan

  module {
    source = "./tests/fixtures/table_in_same_configuration"
  }

  variables {
    stream_view_type = "KEYS_ONLY"
  }
}
