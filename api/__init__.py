"""The GraphQL edge."""
