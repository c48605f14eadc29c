"""The projects module: the tenant's projects (work with a start, a due date, an owner and
members), each linked to any number of customers, shown on the profile's "Projects" panel.

Who sees what: a project is the tenant's, not one customer's, so every worker holding
`projects.view` (every role by default) sees every project of the tenant: its name, status,
dates, owner and members, in `projects`, `node(id:)` and under the customers they see. The
customers a project links are another matter: `Project.customers` (and its `totalCount`)
lists only those the viewer may see under the one visibility rule; a project linking a
customer the worker cannot see still shows, without that customer. Nobody learns of a
hidden customer through a project.

Who changes what: creating a project, and changing or deleting any project, its status and
its members, takes `projects.manage` (owners, admins, managers); a project's owner worker
may do all of that on their own project with `projects.edit`. Linking a customer to a
project, or unlinking it, takes `projects.edit` and the right to change that customer."""
