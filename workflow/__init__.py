"""lawflow: the workflow engine. It knows nothing about HTTP; web/ and cli.py are adapters."""
