"""Built-in modules (profile tabs), each registered through the `customer_hub` entry points
exactly as a third-party package would be."""
