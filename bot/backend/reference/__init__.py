"""Reference data: districts, housing types, school stages, hospitals and departments."""
