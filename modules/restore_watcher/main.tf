# Stub: issue 5 fills this module (EventBridge rule, workflow, waiter, notifications).
