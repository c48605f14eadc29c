"""The GraphQL face of Customer Hub: types, loaders, queries and mutations over `core`."""
