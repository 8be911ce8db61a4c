"""Reading an instance: the format (schema), readers, validation, scenarios, and the Instance it makes."""
