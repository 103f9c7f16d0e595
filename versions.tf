terraform {
  # 1.7: `mock_provider`/`override_data` in `terraform test`, and `removed`/`import` blocks users rely on.
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0, < 7.0"
    }
  }
}
