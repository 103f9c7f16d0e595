"""pitrctl: the operator's command line for terraform-aws-dynamodb-pitr-restore."""
