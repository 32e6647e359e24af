"""The SimPy simulation harness."""
