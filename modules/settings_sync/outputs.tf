output "function_arn" {
  description = "ARN of the settings_sync function."
  value       = ""
}

output "manifest" {
  description = "This module's entries of the deployment manifest."
  value       = {}
}
