output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the function's execution role."
  value       = aws_iam_role.this.name
}

output "policy" {
  description = "The execution role's inline policy document (JSON), for tests and reviews."
  value       = aws_iam_role_policy.this.policy
}

output "log_group_name" {
  description = "Name of the function's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "security" {
  description = "Encryption and network placement of the function (environment key, log group key, VPC subnets and security groups), for security reviews and tests."
  value = {
    function_name          = aws_lambda_function.this.function_name
    environment_kms_key    = aws_lambda_function.this.kms_key_arn
    log_group_kms_key      = aws_cloudwatch_log_group.this.kms_key_id
    vpc_subnet_ids         = try(aws_lambda_function.this.vpc_config[0].subnet_ids, [])
    vpc_security_group_ids = try(aws_lambda_function.this.vpc_config[0].security_group_ids, [])
  }
}

output "settings" {
  description = "What AWS checks only at apply or at run time (description, package, role policy), as the function gets them, for tests and reviews."
  value = {
    function_name    = var.function_name
    description      = local.description
    filename         = local.package_path
    source_code_hash = local.package_hash
    policy           = aws_iam_role_policy.this.policy
  }
}
