# Deliberately failing run (no expect_failures), checked by tests/test_terraform.py: the table created
# in the same configuration and given as source_table, without a stream, fails at plan.

mock_provider "aws" {
  source = "./tests/mocks"
}

run "same_configuration_no_stream" {
  command = plan

  module {
    source = "./tests/fixtures/table_in_same_configuration"
  }

  variables {
    stream_enabled   = false
    stream_view_type = null
  }
}
