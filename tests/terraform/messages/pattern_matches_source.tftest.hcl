# Deliberately failing run (no expect_failures): tests/test_terraform.py runs this directory with
# `terraform test -test-directory=tests/terraform/messages` and checks that each run fails with the
# message an operator needs. The root's own `terraform test` does not look here.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  source_table_name = "orders"
}

# The looked-up table is the mock's good table "orders" (tests/mocks/aws.tfmock.hcl).
run "pattern_matches_source" {
  command = plan

  variables {
    target_table_name_pattern = "ord*"
  }
}
