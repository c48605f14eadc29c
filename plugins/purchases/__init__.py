"""Purchase analytics and customer categories: per-customer figures (money per currency,
orders, purchase times, favourite products, payment methods, monthly totals) kept current
from other modules' events (payments, orders, deals), categories by hand or by rule, list
filters and sorts on the figures, and a tenant report."""
