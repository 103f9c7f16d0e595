# What every root test (tests/*.tftest.hcl) runs with unless it says otherwise: the table "orders",
# given as its resource (source_table), streaming new images, with point-in-time recovery.
source_table_name = "orders"
source_table = {
  name                   = "orders"
  stream_enabled         = true
  stream_view_type       = "NEW_AND_OLD_IMAGES"
  stream_arn             = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000"
  point_in_time_recovery = [{ enabled = true }]
}
