package db

import "time"

// nowMillis stamps bookkeeping rows (migrations) that are not domain data.
func nowMillis() int64 { return time.Now().UnixMilli() }
