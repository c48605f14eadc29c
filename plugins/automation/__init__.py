"""Automation rules (the "Work Flow" tab and Run Automation): when an event about a customer
matches a rule's trigger, or a worker runs the rule by hand, its ordered actions apply to
the customer in the job runner, after the triggering write committed. Runs are recorded
step by step so a restart resumes where it stopped and the tab shows what happened."""
