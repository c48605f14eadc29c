"""The domain of Customer Hub: no GraphQL and no plugin code lives here."""
