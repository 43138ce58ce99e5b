"""The charging model: who pays what, per financial year, as forces join the platform.

    arithmetic    the exact arithmetic: funding, weights x months, caps (water-filling), largest-remainder pennies
    policeforces  the reference table of forces (config/police_forces.csv), whose figures the model weights by
    model         the model's configuration (config/charging-model.yaml), its checks, and the scenarios' rosters
    quality       the Great Expectations checks over the charges table
    report        the outputs: charges.csv, summary.json, the charts and report.html
    run           one run, the same from the CLI and from Airflow: check, compute, check the table, write

Nothing is imported here: each module is imported by name, and none has side effects on import.
"""
