"""The Customer Flow module: boards that show a chosen group of customers (by folders, tags,
customer statuses and lead sources) in columns a team drags them through, such as a sales
pipeline or an onboarding checklist, with the board's counts and moves live for every worker
viewing it. A flow is a view over customers, not a record of them: deleting a flow or a
column keeps every customer."""
