################################################################################
# Dashboard: the whole pipeline on one page (stream -> buffer -> replay -> workflow)
################################################################################

locals {
  # SQS metrics are keyed by queue name, the last field of the queue ARN.
  dashboard_queues = { for name, queue in local.queues : name => reverse(split(":", queue.arn))[0] }

  dashboard_widgets = [
    {
      title = "Subscriber (stream -> buffer): errors and iterator age"
      metrics = [
        ["AWS/Lambda", "Errors", "FunctionName", local.function_names.cdc_subscriber, { stat = "Sum", label = "Errors" }],
        ["AWS/Lambda", "IteratorAge", "FunctionName", local.function_names.cdc_subscriber, { stat = "Maximum", label = "Iterator age (ms)", yAxis = "right" }],
      ]
    },
    {
      title = "Buffer: backlog and age of the oldest change"
      metrics = [
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", local.dashboard_queues.buffer, { stat = "Maximum", label = "Buffered changes" }],
        ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", local.dashboard_queues.buffer, { stat = "Maximum", label = "Oldest change (s)", yAxis = "right" }],
      ]
    },
    {
      title = "Dead-letter and stream failure queues (anything above 0 needs a human)"
      metrics = [
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", local.dashboard_queues.buffer_dlq, { stat = "Maximum", label = "Dead letters (failed replays)" }],
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", local.dashboard_queues.stream_failures, { stat = "Maximum", label = "Stream failures (coverage broken)" }],
      ]
    },
    {
      title = "Replay: lag, replayed and skipped changes"
      metrics = [
        [local.metrics_namespace, "ReplayLagSeconds", "SourceTable", var.source_table_name, { stat = "Maximum", label = "Replay lag (s)", yAxis = "right" }],
        [local.metrics_namespace, "ReplayedChanges", "SourceTable", var.source_table_name, { stat = "Sum", label = "Replayed" }],
        [local.metrics_namespace, "SkippedChanges", "SourceTable", var.source_table_name, { stat = "Sum", label = "Skipped (before the replay start)" }],
      ]
    },
    {
      title = "Replay writer: errors and throttles"
      metrics = [
        ["AWS/Lambda", "Errors", "FunctionName", local.function_names.replay_writer, { stat = "Sum", label = "Errors" }],
        ["AWS/Lambda", "Throttles", "FunctionName", local.function_names.replay_writer, { stat = "Sum", label = "Throttles" }],
      ]
    },
    {
      title = "Restore workflow: executions and its functions' errors"
      metrics = [
        ["AWS/States", "ExecutionsStarted", "StateMachineArn", local.state_machine_arn, { stat = "Sum", label = "Started" }],
        ["AWS/States", "ExecutionsFailed", "StateMachineArn", local.state_machine_arn, { stat = "Sum", label = "Failed" }],
        ["AWS/Lambda", "Errors", "FunctionName", local.function_names.restore_waiter, { stat = "Sum", label = "Waiter errors" }],
        ["AWS/Lambda", "Errors", "FunctionName", local.function_names.restore_steps, { stat = "Sum", label = "Steps errors" }],
        ["AWS/Lambda", "Errors", "FunctionName", local.function_names.settings_sync, { stat = "Sum", label = "settings_sync errors" }],
      ]
    },
  ]

  # Two widgets per row, each 12 of the grid's 24 columns wide.
  dashboard_body = {
    widgets = [
      for index, widget in local.dashboard_widgets : {
        type   = "metric"
        x      = (index % 2) * 12
        y      = floor(index / 2) * 6
        width  = 12
        height = 6
        properties = {
          title   = widget.title
          region  = local.region
          view    = "timeSeries"
          stacked = false
          period  = local.metric_period_seconds
          metrics = widget.metrics
        }
      }
    ]
  }
}

resource "aws_cloudwatch_dashboard" "this" {
  count = var.create_dashboard ? 1 : 0

  dashboard_name = local.name_prefix
  dashboard_body = jsonencode(local.dashboard_body)
}
