"""Lambda sources of terraform-aws-dynamodb-pitr-restore.

One module per function (handlers are ``pitr.<module>.handler``) and shared modules for what
several functions need. Standard library and boto3 only: this package is zipped as-is into every
Lambda the Terraform modules create.
"""
