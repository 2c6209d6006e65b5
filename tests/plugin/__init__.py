"""The suite's pytest plugin, one concern per module; conftest.py lists them.

- preload: every spec and reference module loaded before anything draws (same draws);
- stale_memory: memory a kernel forgets to write holds a fixed pattern (glibc's perturb);
- profiles: Hypothesis profiles, the run's seed, the shared example database;
- options: the suite's command-line options and how each is read;
- kernel_set_workers: one worker process per CPU kernel set;
- run: the run declared to the report, the implementation under test, the header;
- parametrize: the matrix's parameters (layer, model, device, dtype, path);
- cells: the report cell each test item fills, and why one cannot run here;
- property_run: what a property's run left out, then the corner pass (corner_pass.py);
- crashes: the flight recorder and the crashed-cell outcome;
- claims: the fixture by which a test lists the chapter claims it checks.
"""
