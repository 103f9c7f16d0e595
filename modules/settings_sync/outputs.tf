output "function_arn" {
  description = "ARN of the settings_sync function (the restore workflow invokes it)."
  value       = module.function.function_arn
}

output "function_name" {
  description = "Name of the settings_sync function."
  value       = module.function.function_name
}

output "role_arn" {
  description = "ARN of the settings_sync function's execution role."
  value       = module.function.role_arn
}

output "policy" {
  description = "The execution role's inline policy (JSON), for reviews and tests."
  value       = module.function.policy
}

output "manifest" {
  description = "This module's entries of the deployment manifest: the function and the settings switches."
  value = {
    function_name = local.function_name
    function_arn  = local.function_arn
    settings      = local.settings
  }
}

output "security" {
  description = "The function's encryption and VPC placement, for security reviews and tests."
  value = {
    functions = { settings_sync = module.function.security }
  }
}

output "functions" {
  description = "The function's description, package and role policy as rendered (lambda_function's settings), for tests and reviews."
  value = {
    settings_sync = module.function.settings
  }
}
