"""The GraphQL edge: settings, app factory, auth, permissions, loaders, types, resolvers."""
