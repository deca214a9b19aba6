"""The machinery under reading and writing: worker processes with capped memory, detail rows spilled to disk."""
