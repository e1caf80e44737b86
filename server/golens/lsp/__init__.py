"""The language server face: LSP types and position encodings live here and nowhere else."""
