# Renders the whole module once (mocked provider, `command = apply`) so tests/test_iam_per_call.py can
# read every role's policy and every function's handler as Terraform renders them (`terraform test
# -json -verbose` prints the state). What the provider computes gets realistic, distinct names from
# tests/mocks/names.tfmock.hcl: the test resolves the resources each AWS call touches from them. Not
# run by the root's `terraform test`.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  source_table_name = "orders"
  source_table = {
    name                   = "orders"
    stream_enabled         = true
    stream_view_type       = "NEW_AND_OLD_IMAGES"
    stream_arn             = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000"
    point_in_time_recovery = [{ enabled = true }]
    server_side_encryption = [{ enabled = true, kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/7a7a7a7a-1111-4222-8333-444455556666" }]
  }
  kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/0b9c5e4e-1111-4222-8333-444455556666"
}

run "render" {
  command = apply

  assert {
    condition     = length(output.rendered.functions) == 5
    error_message = "five functions rendered"
  }
}
