"""The payouts module: money paid to a customer (refund payouts, commissions, rebates),
approved by a second person before it is sent, and counted in payments' balance through
its balance-entry contract when payments is on."""
