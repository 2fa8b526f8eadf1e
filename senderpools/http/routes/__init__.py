"""One module per resource family; each exports ``routes``."""
