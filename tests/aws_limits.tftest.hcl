# What AWS checks only at apply (or at run time), evaluated on the rendered values at the longest
# names the module accepts, in the longest region name of each partition: the checks are the
# preconditions of tests/fixtures/longest_names, which a failing one makes the run fail with its
# message. AWS's own values (ARNs, URLs, bucket names) at their longest: tests/mocks/longest.

mock_provider "aws" {
  source = "./tests/mocks/longest"
  mock_data "aws_partition" { defaults = { partition = "aws", dns_suffix = "amazonaws.com" } }
  mock_data "aws_region" { defaults = { region = "ap-southeast-7", name = "ap-southeast-7" } }
}

mock_provider "aws" {
  alias  = "aws_cn"
  source = "./tests/mocks/longest"
  mock_data "aws_partition" { defaults = { partition = "aws-cn", dns_suffix = "amazonaws.com.cn" } }
  mock_data "aws_region" { defaults = { region = "cn-northwest-1", name = "cn-northwest-1" } }
}

mock_provider "aws" {
  alias  = "aws_us_gov"
  source = "./tests/mocks/longest"
  mock_data "aws_partition" { defaults = { partition = "aws-us-gov", dns_suffix = "amazonaws.com" } }
  mock_data "aws_region" { defaults = { region = "us-gov-west-1", name = "us-gov-west-1" } }
}

run "longest_names_aws" {
  command = apply
  module { source = "./tests/fixtures/longest_names" }
}

run "longest_names_aws_cn" {
  command   = apply
  state_key = "aws_cn"
  providers = { aws = aws.aws_cn }
  module { source = "./tests/fixtures/longest_names" }
}

run "longest_names_aws_us_gov" {
  command   = apply
  state_key = "aws_us_gov"
  providers = { aws = aws.aws_us_gov }
  module { source = "./tests/fixtures/longest_names" }
}
