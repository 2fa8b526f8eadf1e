"""Domain rules: what each request means, independent of HTTP and of the database."""
