"""Click commands kept out of appliance/cli.py; cli.py registers them with `main.add_command`."""
