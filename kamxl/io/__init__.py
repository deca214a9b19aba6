"""The adapters around the core: inputs/ reads the team's files, outputs/ writes what kamxl hands out, machinery/
runs the reading in capped worker processes and keeps detail rows on disk. None of it calls a use case."""
