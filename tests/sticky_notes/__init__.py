"""A module written the way a third party would ship one (models, migration, GraphQL, tab,
badge, event), registered by the tests next to the installed ones."""
