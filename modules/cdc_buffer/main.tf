# Stub: issue 3 fills this module (stream mapping, subscriber, FIFO buffer and DLQs, spill bucket,
# replay writer and its disabled mapping, alarms).
