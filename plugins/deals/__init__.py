"""The deals module: a business's sales opportunities per customer, moved through the
tenant's own pipeline stages (open, won, lost), with the pipeline summed across customers."""
