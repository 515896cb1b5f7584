"""vegeta's result formats, report and plot, in Python."""
