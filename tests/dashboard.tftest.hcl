# The pipeline dashboard (dashboard.tf): one widget per stage, each metric pointing at this
# deployment's own functions, queues, table and workflow. SQS metrics are keyed by queue name, which
# the dashboard takes from the queue ARNs (tests/mocks/names.tfmock.hcl gives realistic ones).

mock_provider "aws" {
  source = "./tests/mocks"
}

run "dashboard_shows_every_stage" {
  command = apply

  assert {
    condition     = aws_cloudwatch_dashboard.this[0].dashboard_name == "pitr-orders" && output.dashboard_name == "pitr-orders"
    error_message = "the dashboard is named after the prefix"
  }
  assert {
    condition     = length(jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets) == 6
    error_message = "six widgets: subscriber, buffer, dead letters, replay, replay writer, workflow"
  }
  assert {
    # Widgets tile a 24-column grid without overlapping.
    condition     = length(distinct([for w in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : "${w.x},${w.y}"])) == 6 && alltrue([for w in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : w.x + w.width <= 24])
    error_message = "widgets overlap or leave the grid"
  }
  assert {
    condition = toset([
      for m in flatten([for w in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : w.properties.metrics]) : m if m == "pitr-orders-cdc-subscriber" || m == "pitr-orders-replay-writer" || m == "pitr-orders-restore-waiter" || m == "pitr-orders-restore-steps" || m == "pitr-orders-settings-sync"
    ]) == toset(["pitr-orders-cdc-subscriber", "pitr-orders-replay-writer", "pitr-orders-restore-waiter", "pitr-orders-restore-steps", "pitr-orders-settings-sync"])
    error_message = "every function of this deployment is on the dashboard"
  }
  assert {
    condition = toset([
      for m in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[2].properties.metrics : m[3]
    ]) == toset(["pitr-orders-buffer-dlq.fifo", "pitr-orders-stream-failures"])
    error_message = "the dead-letter widget shows the dead-letter and stream failure queues by name"
  }
  assert {
    condition = alltrue([
      for m in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[1].properties.metrics : m[0] == "AWS/SQS" && m[3] == "pitr-orders-buffer.fifo"
    ])
    error_message = "the buffer widget shows the buffer queue"
  }
  assert {
    condition = [
      for m in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[3].properties.metrics : [m[0], m[1], m[2], m[3]]
      ] == [
      ["DynamoDBPitrRestore", "ReplayLagSeconds", "SourceTable", "orders"],
      ["DynamoDBPitrRestore", "ReplayedChanges", "SourceTable", "orders"],
      ["DynamoDBPitrRestore", "SkippedChanges", "SourceTable", "orders"],
    ]
    error_message = "replay metrics come from the writer's namespace, per source table"
  }
  assert {
    condition = alltrue([
      for m in slice(jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[5].properties.metrics, 0, 2) : m[0] == "AWS/States" && m[3] == "arn:aws:states:eu-west-1:123456789012:stateMachine:pitr-orders-restore"
    ])
    error_message = "workflow executions of this deployment's state machine"
  }
}

run "dashboard_can_be_left_out" {
  command = plan

  variables {
    create_dashboard = false
  }

  assert {
    condition     = length(aws_cloudwatch_dashboard.this) == 0 && output.dashboard_name == null
    error_message = "create_dashboard = false creates no dashboard"
  }
}
