# With the table created in the same configuration (the README's usage), the stream
# checks fail at plan when the module gets the table resource (source_table). The failing runs are in
# tests/terraform/messages (tests/test_terraform.py checks their messages); this one shows the passing
# plan. (A mocked provider reads even a data source that depends on a resource with planned changes
# at plan, so the deferral that source_table avoids cannot be shown here; Terraform itself defers it.)

mock_provider "aws" {
  source = "./tests/mocks"
}

run "table_resource_with_new_images_plans" {
  command = plan

  module {
    source = "./tests/fixtures/table_in_same_configuration"
  }

  assert {
    condition     = aws_dynamodb_table.orders.stream_view_type == "NEW_AND_OLD_IMAGES"
    error_message = "the fixture's table streams new images"
  }
}
