"""(0) An empty script: what each tool costs before and after the user's code runs (interpreter
and profiler start-up, writing the profile). Every other workload pays this once."""
