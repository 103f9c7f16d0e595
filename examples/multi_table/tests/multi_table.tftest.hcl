# examples/multi_table: several module instances side by side must not share any name, path or
# archive. Each instance gets its table as the resource (source_table).

mock_provider "aws" {
  source = "../../tests/mocks"
}

run "every_table_gets_its_own_names" {
  # apply: the names the module reads from computed values (queue ARNs) are known then.
  command = apply

  assert {
    condition     = length(module.pitr) == 5 && length(aws_dynamodb_table.this) == 5
    error_message = "one module instance per table"
  }
  assert {
    condition     = length(distinct(values(output.name_prefixes))) == length(var.tables)
    error_message = "name prefixes collide: ${jsonencode(output.name_prefixes)}"
  }
  assert {
    condition     = output.name_prefixes["orders"] == "pitr-orders" && output.name_prefixes["customers"] == "pitr-customers"
    error_message = "short names give readable prefixes"
  }
  assert {
    # '.' is not allowed in Lambda or IAM names, and long names would overflow them: hashed prefixes.
    condition     = can(regex("^pitr-billing-invoices-[0-9a-f]{6}$", output.name_prefixes["billing.invoices"])) && can(regex("^pitr-analytics-events--[0-9a-f]{6}$", output.name_prefixes["analytics-events-by-tenant-daily"]))
    error_message = "names with '.' or over 24 characters get a shortened, hashed prefix: ${jsonencode(output.name_prefixes)}"
  }
  assert {
    # Same first 17 characters: only the hash tells these two apart.
    condition     = output.name_prefixes["analytics-events-by-tenant-daily"] != output.name_prefixes["analytics-events-by-tenant-hourly"]
    error_message = "long names sharing a beginning must still get distinct prefixes"
  }
  assert {
    condition     = alltrue([for table, name in output.manifest_parameter_names : name == "/dynamodb-pitr/${table}/manifest"])
    error_message = "each manifest lives under its own table's SSM path"
  }
  assert {
    condition     = length(distinct(concat(values(output.manifest_parameter_names), values(output.restore_record_parameter_names)))) == 2 * length(var.tables)
    error_message = "SSM parameters (manifests, restore records) collide"
  }
  assert {
    # Archives are built at .build/<function name>.zip, so distinct function names mean distinct archives.
    condition     = length(distinct(flatten([for roles in values(output.function_names) : values(roles)]))) == 5 * length(var.tables)
    error_message = "function names (and so archive paths) collide: ${jsonencode(output.function_names)}"
  }
  assert {
    condition     = alltrue([for roles in values(output.function_names) : alltrue([for name in values(roles) : length(name) <= 64])])
    error_message = "a function name exceeds Lambda's 64 characters"
  }
  assert {
    condition     = length(distinct(values(output.dashboard_names))) == length(var.tables)
    error_message = "dashboards collide"
  }
  assert {
    condition     = length(distinct(values(output.state_machine_arns))) == length(var.tables)
    error_message = "workflows collide"
  }
}
