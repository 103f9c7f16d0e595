# Deliberately failing run (no expect_failures), checked by tests/test_terraform.py: the table created
# in the same configuration and given as source_table, with a KEYS_ONLY stream, fails at plan.

mock_provider "aws" {
  source = "./tests/mocks"
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
