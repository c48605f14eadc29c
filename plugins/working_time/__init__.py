"""Working time: time logged on customers (entries and per-worker running timers) and each
worker's own clock (clocked in or out), with totals in the business's time zone."""
