"""``python manage.py experiment``: named load scenarios against the whole bridge, measured and judged.

``scenarios`` holds the runs as data (sets A-E, the seed's runs, a smoke run)
and the goals they are judged by; ``sampler`` watches CPU, memory and Redis
connections of the bridge's processes during a run; ``runner`` runs one
scenario after another, each on a fresh topic and a fresh stack; ``summary``
turns the runs into verdicts, a Markdown table and JSON.  Only ``runner`` and
``sampler`` touch processes; ``scenarios`` and ``summary`` are pure.
"""
