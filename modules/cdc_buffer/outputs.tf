output "buffer_queue_url" {
  description = "URL of the FIFO buffer queue."
  value       = ""
}

output "buffer_queue_arn" {
  description = "ARN of the FIFO buffer queue."
  value       = ""
}

output "stream_mapping_uuid" {
  description = "UUID of the stream event source mapping feeding the subscriber."
  value       = ""
}

output "replay_mapping_uuid" {
  description = "UUID of the SQS event source mapping feeding the replay writer (created disabled)."
  value       = ""
}

output "manifest" {
  description = "This module's entries of the deployment manifest."
  value       = {}
}

# Temporary (restore_watcher branch): the data path's branch adds the real output.
output "buffer_standby_retention_seconds" {
  description = "Retention of the buffer queue in standby (seconds)."
  value       = 14400
}
