"""An open-model load generator on Locust whose results are vegeta's.

Pure modules (no gevent, no Django): ``pacing`` (when each request is due),
``recorder`` (one request's outcome as a vegeta ``Result``), ``collect``
(results gathered from all processes, written as one vegeta file), ``options``
(the command line).  gevent modules, for Locust processes only: ``client``
(a lean HTTP/1.1 client), ``attack`` (sends one share of the schedule) and
``session`` (the Locust wiring across master and workers).
"""
