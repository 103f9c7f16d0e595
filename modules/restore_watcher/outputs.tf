output "topic_arn" {
  description = "ARN of the SNS topic for notifications and alarms."
  value       = null
}

output "manifest" {
  description = "This module's entries of the deployment manifest."
  value       = {}
}
