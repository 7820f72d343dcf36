"""Lab app that fails to boot, like an app whose dependency is not installed.

It imports LAB_MISSING_MODULE (default psycopg2_missing_xyz), which does not
exist, so gunicorn's worker dies with ModuleNotFoundError and the master
halts with "Worker failed to boot."  A name that is no identifier (the
sanitizer test puts terminal escape sequences in it) cannot reach the import
machinery, so the same error is raised by hand: its text then lands in
app.log raw, as hostile log content would.
"""
import importlib
import os

name = os.environ.get("LAB_MISSING_MODULE", "psycopg2_missing_xyz")
if name.isidentifier():
    importlib.import_module(name)
raise ModuleNotFoundError("No module named '%s'" % name, name=name)
