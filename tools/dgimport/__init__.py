"""tools/import-edm.py's parts: tracing the upstream patterns, the official discriminator, the FID judge."""
