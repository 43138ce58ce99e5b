"""After go-live: the forces live on the platform, and the checks that keep watching their live sites.

    register     the live-forces register (`<store>/platform/live-forces.json`): who is live, from when
    sitechecks   the daily site checks: the go-live machine checks again, and what regressed since go-live
    reaudit      the monthly accessibility re-audit of each live domain against its go-live audit

live/ builds on golive/ and accessibility/ (their checks, audit and records); neither imports live/.
Nothing is imported here: each module is imported by name, and none has side effects on import.
"""
