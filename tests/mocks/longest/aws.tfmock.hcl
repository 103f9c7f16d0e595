# What AWS computes, at its longest (tests/aws_limits.tftest.hcl): 80-character queue names in the
# longest partition and region, 63-character buckets, 64-character function names, 36-character
# mapping UUIDs. Placeholders of those lengths rather than ARNs: the runs check that every ARN the
# module builds names the run's partition, and AWS's own ARNs name it by construction.

mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012" }
}

mock_resource "aws_sqs_queue" {
  defaults = {
    arn = "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
    url = "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
  }
}

mock_resource "aws_s3_bucket" {
  defaults = {
    bucket = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    arn    = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
  }
}

mock_resource "aws_lambda_function" {
  defaults = { arn = "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" }
}

mock_resource "aws_lambda_event_source_mapping" {
  defaults = { uuid = "aaaaaaaa-0000-4000-8000-000000000001" }
}

mock_resource "aws_kms_key" {
  defaults = { arn = "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk" }
}

mock_resource "aws_sns_topic" {
  defaults = { arn = "tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt" }
}

mock_resource "aws_sfn_state_machine" {
  defaults = { arn = "ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss" }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = { arn = "llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll" }
}
